package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Errors are translated at the boundary into typed {@link StoreAccessException}s naming the {@code s3://} URI,
 * against real servers on loopback: S3Proxy with other credentials, a stopped server, a missing bucket, a server
 * that never answers and one that throttles. No message, stack trace or log line contains a secret key.
 */
class S3ErrorsTest {
  private static final String BUCKET = "errors";
  private static final String OTHER_ACCESS = "other-access";
  private static final String OTHER_SECRET = "otherSECRET-must-not-leak-3k8W";
  private static final String WRONG_SECRET = "wrongSECRET-must-not-leak-Zp41";
  private static final List<String> SECRETS = List.of(S3TestServer.SECRET_KEY, OTHER_SECRET, WRONG_SECRET);

  @TempDir
  static Path dir;
  static S3TestServer server;
  static S3TestServer other;
  static HttpServer throttling;
  static final AtomicInteger throttledRequests = new AtomicInteger();
  static ServerSocket silent;
  static final List<Socket> held = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startServers() throws Exception {
    server = S3TestServer.start(Files.createDirectory(dir.resolve("a"))).createBucket(BUCKET);
    other = S3TestServer.start(Files.createDirectory(dir.resolve("b")), OTHER_ACCESS, OTHER_SECRET, 0)
        .createBucket(BUCKET);
    // Answers every request like a throttled S3: 503 SlowDown for bucket "slowdown", 429 otherwise.
    throttling = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    throttling.createContext("/", exchange -> {
      throttledRequests.incrementAndGet();
      boolean slowDown = exchange.getRequestURI().getPath().startsWith("/slowdown");
      byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
          + (slowDown ? "SlowDown" : "TooManyRequests") + "</Code><Message>Please reduce your request rate."
          + "</Message><RequestId>r1</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/xml");
      exchange.sendResponseHeaders(slowDown ? 503 : 429, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    throttling.start();
    // Accepts connections and never answers.
    silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!silent.isClosed()) {
        try {
          held.add(silent.accept());
        } catch (IOException e) {
          return;
        }
      }
    }, "silent-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    server.close();
    other.close();
    throttling.stop(0);
    silent.close();
    for (Socket s : held) {
      s.close();
    }
  }

  /** Runs last in the JVM's log so far: everything this module's tests logged, SDK DEBUG lines included. */
  @AfterAll
  static void logHoldsNoSecret() throws IOException {
    Path log = Path.of("target", "s3-tests.log");
    assertThat(log).as("the test log configured in simplelogger.properties").exists();
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(text).as("SDK DEBUG lines are captured").contains("Sending Request");
    for (String secret : SECRETS) {
      assertThat(text).as("test log").doesNotContain(secret);
    }
  }

  private static StoreOptions.Builder to(URI endpoint, String access, String secret) {
    return StoreOptions.forOwner("errors-test").property("s3.endpoint", endpoint.toString())
        .property("s3.access-key", access).property("s3.secret-key", secret).property("s3.region", "us-east-1")
        .property("s3.max-attempts", "2").property("s3.connect-timeout", "1s").property("s3.read-timeout", "1s");
  }

  /** Opens the store the public way and returns what it threw, checked for the URI and for secrets. */
  private static StoreAccessException openFails(String uri, StoreOptions options) {
    Throwable t = catchThrowable(() -> CheckpointStores.open(uri, options).close());
    assertThat(t).isInstanceOf(StoreAccessException.class);
    StoreAccessException e = (StoreAccessException) t;
    assertThat(e.uri()).isEqualTo(URI.create(uri));
    assertThat(e.getMessage()).startsWith(uri + ": ");
    assertNoSecret(e);
    return e;
  }

  private static void assertNoSecret(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    for (String secret : SECRETS) {
      assertThat(trace.toString()).as("stack trace with causes").doesNotContain(secret);
    }
  }

  @Test
  void missingBucket_isNotFound() {
    StoreAccessException e = openFails("s3://no-such-bucket/run", server.options("errors-test"));
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.getMessage()).contains("no-such-bucket").contains("does not exist");
  }

  @Test
  void credentialsOfAnotherServer_areAccessDenied() {
    // server's endpoint, other's key pair: the access key is unknown there
    StoreAccessException e = openFails("s3://" + BUCKET + "/run", to(server.endpoint(), OTHER_ACCESS,
        OTHER_SECRET).build());
    assertThat(e.reason()).isEqualTo(Reason.ACCESS_DENIED);
    assertThat(e.getMessage()).contains("HTTP 403").contains("s3:ListBucket");
  }

  @Test
  void wrongSecretForAKnownAccessKey_isAccessDenied() {
    StoreAccessException e = openFails("s3://" + BUCKET + "/run", to(other.endpoint(), OTHER_ACCESS,
        WRONG_SECRET).build());
    assertThat(e.reason()).isEqualTo(Reason.ACCESS_DENIED);
    assertThat(e.getMessage()).contains("HTTP 403");
  }

  @Test
  void sameBucketOnTheOtherServer_isReachableWithItsOwnCredentials() throws IOException {
    // The control for the two tests above: those credentials are right for the other server.
    CheckpointStores.open("s3://" + BUCKET + "/run", to(other.endpoint(), OTHER_ACCESS, OTHER_SECRET).build())
        .close();
  }

  @Test
  void stoppedServer_isUnreachable() throws Exception {
    S3TestServer stopped = S3TestServer.start(Files.createDirectory(dir.resolve("stopped")));
    URI endpoint = stopped.endpoint();
    stopped.close();
    StoreAccessException e = openFails("s3://" + BUCKET + "/run", to(endpoint, S3TestServer.ACCESS_KEY,
        S3TestServer.SECRET_KEY).build());
    assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
    assertThat(e.getMessage()).contains(endpoint.toString()).contains("2 attempt(s)");
  }

  @Test
  void serverThatNeverAnswers_isUnreachableAfterTheReadTimeout() {
    URI endpoint = URI.create("http://127.0.0.1:" + silent.getLocalPort());
    StoreAccessException e = openFails("s3://" + BUCKET + "/run", to(endpoint, S3TestServer.ACCESS_KEY,
        S3TestServer.SECRET_KEY).build());
    assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
    assertThat(e.getMessage()).contains("read-timeout");
  }

  @Test
  void slowDown503_isThrottledAfterBoundedRetries() {
    URI endpoint = URI.create("http://127.0.0.1:" + throttling.getAddress().getPort());
    int before = throttledRequests.get();
    StoreAccessException e = openFails("s3://slowdown/run", to(endpoint, S3TestServer.ACCESS_KEY,
        S3TestServer.SECRET_KEY).build());
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(e.getMessage()).contains("HTTP 503 SlowDown").contains("s3.max-attempts");
    assertThat(throttledRequests.get() - before).as("requests sent: s3.max-attempts").isEqualTo(2);
  }

  @Test
  void tooManyRequests429_isThrottled() {
    URI endpoint = URI.create("http://127.0.0.1:" + throttling.getAddress().getPort());
    StoreAccessException e = openFails("s3://toomany/run", to(endpoint, S3TestServer.ACCESS_KEY,
        S3TestServer.SECRET_KEY).build());
    assertThat(e.reason()).isEqualTo(Reason.THROTTLED);
    assertThat(e.getMessage()).contains("HTTP 429");
  }

  @Test
  void everyPrimitive_translatesAccessDenied_namingTheIamAction() throws IOException {
    try (S3ObjectStore objects = server.objects("s3://" + BUCKET + "/deny", to(server.endpoint(),
        S3TestServer.ACCESS_KEY, WRONG_SECRET).build())) {
      List<ThrowingCall> calls = List.of(
          () -> objects.put("k", new byte[1]),
          () -> objects.putIfAbsent("k", new byte[1]),
          () -> objects.get("k"),
          () -> objects.open("k"),
          () -> objects.list(""),
          () -> objects.delete("k"),
          () -> objects.purgeIncomplete(k -> true),
          () -> {
            try (var sink = objects.create("k")) {
              sink.write(java.nio.ByteBuffer.wrap(new byte[10]));
              sink.finish();
            }
          });
      List<String> actions = List.of("s3:PutObject", "s3:PutObject", "s3:GetObject", "s3:GetObject",
          "s3:ListBucket", "s3:DeleteObject", "s3:ListBucketMultipartUploads", "s3:PutObject");
      for (int i = 0; i < calls.size(); i++) {
        ThrowingCall call = calls.get(i);
        Throwable t = catchThrowable(call::run);
        assertThat(t).as("call %d", i).isInstanceOf(StoreAccessException.class);
        assertThat(((StoreAccessException) t).reason()).as("call %d", i).isEqualTo(Reason.ACCESS_DENIED);
        assertThat(t.getMessage()).as("call %d", i).contains(actions.get(i))
            .startsWith("s3://" + BUCKET + "/deny: ");
        assertNoSecret(t);
      }
    }
  }

  @Test
  void missingBucket_onEveryPrimitive_isNotFound() throws IOException {
    try (S3ObjectStore objects = server.objects("s3://absent-bucket/p", server.options("errors-test"))) {
      List<ThrowingCall> calls = List.of(() -> objects.put("k", new byte[1]), () -> objects.putIfAbsent("k",
          new byte[1]), () -> objects.get("k"), () -> objects.open("k"), () -> objects.list(""),
          () -> objects.purgeIncomplete(k -> true));
      // (DeleteObject is left out: S3Proxy answers 204 for it even without the bucket; S3 answers NoSuchBucket.)
      for (int i = 0; i < calls.size(); i++) {
        Throwable t = catchThrowable(calls.get(i)::run);
        assertThat(t).as("call %d", i).isInstanceOf(StoreAccessException.class);
        assertThat(((StoreAccessException) t).reason()).as("call %d: %s", i, t).isEqualTo(Reason.NOT_FOUND);
      }
    }
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }

  @Test
  @Timeout(10)
  void causeChainWithACycle_isTranslated_notWalkedForever() throws Exception {
    S3Settings settings = S3Settings.parse(URI.create("s3://" + BUCKET + "/cycle"), StoreOptions.forOwner("me")
        .property("s3.endpoint", "http://127.0.0.1:9").build(), new Properties(), Map.of());
    IOException a = new IOException("a");
    IOException b = new IOException("b", a);
    a.initCause(b);
    IOException e = new S3Errors(settings, null).translate(S3Errors.Op.GET_OBJECT, "k",
        SdkClientException.builder().message("failed").cause(a).build());
    assertThat(e).isInstanceOf(StoreAccessException.class);
    assertThat(((StoreAccessException) e).reason()).isEqualTo(Reason.OTHER);
  }
}
