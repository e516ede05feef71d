package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.auth.oauth2.UserCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore.ObjectSink;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each storage error is translated into the SPI's typed error, naming the gs:// URI. */
class GcsErrorsTest {
  private static final String BUCKET = "errors";
  private static GcsTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = GcsTestServer.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void clear() {
    server.clearFaults();
  }

  private static void assertReason(Throwable e, Reason reason, String uri) {
    assertThat(e).isInstanceOf(StoreAccessException.class);
    StoreAccessException x = (StoreAccessException) e;
    assertThat(x.reason()).isEqualTo(reason);
    assertThat(x.uri()).isEqualTo(URI.create(uri));
    assertThat(x.getMessage()).startsWith(uri + ": ");
  }

  @Test
  void missingBucket_isNotFound_forListCreateAndRead() throws Exception {
    String uri = "gs://no-such-bucket/run";
    try (GcsObjectStore store = GcsTests.objects(server, uri)) {
      assertThatThrownBy(() -> store.list("")).satisfies(e -> assertReason(e, Reason.NOT_FOUND, uri))
          .hasMessageContaining("no-such-bucket").hasMessageContaining("create it");
      assertThatThrownBy(() -> store.putIfAbsent("k", new byte[] {1}))
          .satisfies(e -> assertReason(e, Reason.NOT_FOUND, uri));
      assertThatThrownBy(() -> store.get("k")).satisfies(e -> assertReason(e, Reason.NOT_FOUND, uri));
      ObjectSink sink = store.create("big");
      // past one chunk: the resumable session starts, and finds no bucket
      assertThatThrownBy(() -> sink.write(ByteBuffer.wrap(new byte[600 * 1024])))
          .satisfies(e -> assertReason(e, Reason.NOT_FOUND, uri));
      assertThat(sink.isOpen()).isFalse();
    }
  }

  @Test
  void missingBucket_openThroughTheProvider_isNotFound() {
    String uri = "gs://no-such-bucket/run";
    assertThatThrownBy(() -> CheckpointStores.open(uri,
        GcsTests.options(StoreOptions.forOwner("me"), server).build()).close())
        .satisfies(e -> assertReason(e, Reason.NOT_FOUND, uri));
  }

  @Test
  void denied403_isAccessDenied_namingThePermission() throws Exception {
    String uri = "gs://" + BUCKET + "/denied";
    try (GcsObjectStore store = GcsTests.objects(server, uri)) {
      server.denyAll(403);
      assertThatThrownBy(() -> store.list("")).satisfies(e -> assertReason(e, Reason.ACCESS_DENIED, uri))
          .hasMessageContaining("storage.objects.list");
      assertThatThrownBy(() -> store.putIfAbsent("k", new byte[] {1}))
          .satisfies(e -> assertReason(e, Reason.ACCESS_DENIED, uri))
          .hasMessageContaining("storage.objects.create");
      assertThatThrownBy(() -> store.open("k")).satisfies(e -> assertReason(e, Reason.ACCESS_DENIED, uri))
          .hasMessageContaining("storage.objects.get");
      assertThatThrownBy(() -> store.delete("k")).satisfies(e -> assertReason(e, Reason.ACCESS_DENIED, uri))
          .hasMessageContaining("storage.objects.delete");
    }
  }

  @Test
  void unauthenticated401_isAccessDenied() throws Exception {
    String uri = "gs://" + BUCKET + "/anon";
    try (GcsObjectStore store = GcsTests.objects(server, uri)) {
      server.denyAll(401);
      assertThatThrownBy(() -> store.get("k")).satisfies(e -> assertReason(e, Reason.ACCESS_DENIED, uri))
          .hasMessageContaining("Application Default Credentials");
    }
  }

  @Test
  void throttled503_afterBoundedRetries_isThrottled() throws Exception {
    String uri = "gs://" + BUCKET + "/busy";
    try (GcsObjectStore store = GcsTests.objects(server, uri)) {
      server.throttle(503);
      long before = server.requests();
      assertThatThrownBy(() -> store.get("k")).satisfies(e -> assertReason(e, Reason.THROTTLED, uri))
          .hasMessageContaining("3 attempt(s)");
      assertThat(server.requests() - before).isEqualTo(3); // gs.max-attempts=3, then it gives up
    }
  }

  @Test
  void throttled429_onConditionalCreate_isThrottled() throws Exception {
    String uri = "gs://" + BUCKET + "/busy429";
    try (GcsObjectStore store = GcsTests.objects(server, uri)) {
      server.throttle(429);
      assertThatThrownBy(() -> store.putIfAbsent("k", new byte[] {1}))
          .satisfies(e -> assertReason(e, Reason.THROTTLED, uri));
    }
  }

  @Test
  void stoppedServer_isUnreachable() throws Exception {
    GcsTestServer stopped = GcsTestServer.start();
    stopped.close(); // its port now refuses connections
    String uri = "gs://" + BUCKET + "/gone";
    try (GcsObjectStore store = GcsTests.objects(stopped, uri)) {
      assertThatThrownBy(() -> store.list("")).satisfies(e -> assertReason(e, Reason.UNREACHABLE, uri))
          .hasMessageContaining(stopped.host());
      assertThatThrownBy(() -> store.putIfAbsent("k", new byte[] {1}))
          .satisfies(e -> assertReason(e, Reason.UNREACHABLE, uri));
      assertThatThrownBy(() -> store.open("k")).satisfies(e -> assertReason(e, Reason.UNREACHABLE, uri));
    }
  }

  /** Issue 17 item 13: a token endpoint that cannot be reached is named, not the storage host. */
  @Test
  void unreachableTokenEndpoint_isNamed_notTheStorageHost() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    URI tokenUri = URI.create("http://127.0.0.1:" + closed + "/token");
    UserCredentials credentials = UserCredentials.newBuilder().setClientId("ckpt4j-test-client")
        .setClientSecret("client-SECRET-must-not-leak").setRefreshToken("refresh-TOKEN-must-not-leak")
        .setTokenServerUri(tokenUri).build();
    String uri = "gs://" + BUCKET + "/token";
    GcsSettings settings = GcsSettings.parse(URI.create(uri), StoreOptions.forOwner("me")
        .property("gs.host", server.host()).property("gs.project", "test-project").property("gs.max-attempts", "2")
        .property("gs.retry-delay", "10ms").build());
    long before = server.requests();
    try (GcsObjectStore store = new GcsObjectStore(settings, GcsStoreProvider.client(settings, credentials))) {
      Throwable e = catchThrowable(() -> store.list(""));
      assertReason(e, Reason.UNREACHABLE, uri);
      assertThat(e.getMessage()).contains("token endpoint " + tokenUri).doesNotContain(server.host());
      GcsCredentialsNeverPrintedTest.assertNoSecret(e,
          List.of("client-SECRET-must-not-leak", "refresh-TOKEN-must-not-leak"));
    }
    assertThat(server.requests() - before).as("the storage host was never asked").isZero();
  }

  @Test
  void userInfoInTheUri_isRefusedWithoutEchoingIt() {
    assertThatThrownBy(() -> GcsTests.objects(server, "gs://user:SECRET-KEY-MATERIAL@" + BUCKET + "/x"))
        .isInstanceOf(org.ckpt4j.spi.UnsupportedSchemeException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("SECRET-KEY-MATERIAL")
            .contains("gs://***@" + BUCKET + "/x"));
  }

  @Test
  @Timeout(10)
  void causeChainWithACycle_isTranslated_notWalkedForever() throws Exception {
    GcsSettings settings = GcsSettings.parse(URI.create("gs://" + BUCKET + "/cycle"), StoreOptions.forOwner("me")
        .build(), new Properties(), Map.of());
    IOException a = new IOException("a");
    IOException b = new IOException("b", a);
    a.initCause(b);
    IOException e = new GcsErrors(settings, null).translate(GcsErrors.Op.READ, "k", a);
    assertReason(e, Reason.OTHER, "gs://" + BUCKET + "/cycle");
  }
}
