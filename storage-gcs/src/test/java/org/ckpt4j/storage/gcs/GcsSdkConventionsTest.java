package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 item 6 (GCS): a call gives up after {@code gs.timeout} (15 s by default) instead of after every retry
 * (79 s without a network), and running without credentials is said, not silent.
 */
class GcsSdkConventionsTest {
  private static GcsTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = GcsTestServer.start();
    server.createBucket("conventions");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void defaults_failWithinAboutFifteenSeconds() throws Exception {
    GcsSettings s = GcsSettings.parse(URI.create("gs://conventions/run"), StoreOptions.forOwner("o").build(),
        new Properties(), Map.of());
    assertThat(s.timeout).isEqualTo(Duration.ofSeconds(15));
    assertThat(s.connectTimeout).isEqualTo(Duration.ofSeconds(5));
    GcsSettings set = GcsSettings.parse(URI.create("gs://conventions/run?timeout=2m"),
        StoreOptions.forOwner("o").build(), new Properties(), Map.of());
    assertThat(set.timeout).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void unreachableHost_failsAfterTheTimeout_notAfterEveryAttempt() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    // 20 attempts with back-off from 500 ms would take minutes; the 2 s budget ends them.
    StoreOptions options = StoreOptions.forOwner("o").property("gs.host", "http://127.0.0.1:" + closed)
        .property("gs.credentials", "none").property("gs.max-attempts", "20").property("gs.retry-delay", "500ms")
        .property("gs.timeout", "2s").build();
    long start = System.nanoTime();
    Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      try (GcsObjectStore store = GcsStoreProvider.objects(URI.create("gs://conventions/run"), options)) {
        return catchThrowable(() -> store.list(""));
      }
    });
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(e).isInstanceOf(StoreAccessException.class);
    assertThat(((StoreAccessException) e).reason()).isEqualTo(Reason.UNREACHABLE);
    assertThat(took).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void noApplicationDefaultCredentials_sendsAnonymously_andSaysSo() throws Exception {
    GcsSettings s = GcsSettings.parse(URI.create("gs://conventions/anonymous"), StoreOptions.forOwner("o")
        .property("gs.host", server.host()).property("gs.project", "test-project").property("gs.max-attempts", "1")
        .build(), new Properties(), Map.of());
    assertThat(s.noCredentials).isFalse();
    try (GcsObjectStore store = new GcsObjectStore(s, GcsStoreProvider.client(s, null, () -> {
      throw new IOException("The Application Default Credentials are not available (test)");
    }))) {
      server.denyAll(401);
      Throwable e = catchThrowable(() -> store.list(""));
      assertThat(e).isInstanceOf(StoreAccessException.class);
      assertThat(((StoreAccessException) e).reason()).isEqualTo(Reason.ACCESS_DENIED);
      assertThat(e.getMessage()).contains("WITHOUT credentials");
    } finally {
      server.clearFaults();
    }
    String log = Files.readString(Path.of("target", "gcs-tests.log"), StandardCharsets.UTF_8);
    assertThat(log).contains("gs://conventions/anonymous: no Application Default Credentials found");
  }
}
