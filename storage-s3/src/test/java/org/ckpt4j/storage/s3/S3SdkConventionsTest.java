package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.retry.RetryMode;

/**
 * Issue 21 item 6: the AWS SDK's own settings win where the user set them. An endpoint from the AWS profile or
 * the environment gets path-style like one given to ckpt4j, errors name the endpoint really used,
 * {@code AWS_IGNORE_CONFIGURED_ENDPOINT_URLS} is honoured, {@code AWS_MAX_ATTEMPTS} / {@code AWS_RETRY_MODE} are
 * not overridden. The environment is injected as a map (it cannot be set in the JVM).
 */
class S3SdkConventionsTest {
  private static final String BUCKET = "conventions";
  private static final Properties NO_SYSTEM = new Properties();

  @TempDir static Path dir;
  static S3TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.start(Files.createDirectory(dir.resolve("s3"))).createBucket(BUCKET);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** Credentials and region only: the endpoint must come from the AWS configuration. */
  private static StoreOptions.Builder credentials() {
    return StoreOptions.forOwner("conventions").property("s3.access-key", server.accessKey)
        .property("s3.secret-key", server.secretKey).property("s3.region", "us-east-1")
        .property("s3.connect-timeout", "2s");
  }

  private static Path config(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  private static S3Settings parse(StoreOptions options, Properties system, Map<String, String> env) throws Exception {
    return S3Settings.parse(URI.create("s3://" + BUCKET + "/run"), options, system, env);
  }

  @Test
  void endpointFromTheAwsProfile_getsPathStyle_andReachesTheServer() throws Exception {
    Path file = config("profile-endpoint", "[profile local]\nendpoint_url = " + server.endpoint() + "\n");
    S3Settings s = parse(credentials().build(), NO_SYSTEM,
        Map.of("AWS_CONFIG_FILE", file.toString(), "AWS_PROFILE", "local"));
    assertThat(s.endpoint).contains(server.endpoint());
    assertThat(s.pathStyle).isTrue();
    assertThat(s.endpointOrigin).contains("endpoint_url").contains("profile 'local'");
    try (S3ObjectStore store = new S3ObjectStore(s, S3StoreProvider.client(s))) {
      assertThat(store.putIfAbsent("k", new byte[] {1, 2})).isTrue();
      assertThat(store.list("")).containsExactly("k");
    }
  }

  @Test
  void endpointFromTheProfilesServicesSection_onLocalhost_getsPathStyle() throws Exception {
    Path file = config("services", "[default]\nservices = local-s3\n\n[services local-s3]\ns3 =\n"
        + "  endpoint_url = http://localhost:9000\n");
    S3Settings s = parse(credentials().build(), NO_SYSTEM, Map.of("AWS_CONFIG_FILE", file.toString()));
    assertThat(s.endpoint).contains(URI.create("http://localhost:9000"));
    assertThat(s.pathStyle).isTrue();
    assertThat(s.endpointOrigin).contains("services section 'local-s3'");
  }

  @Test
  void endpointSources_followTheSdksOrder() throws Exception {
    Path file = config("order", "[default]\nendpoint_url = http://127.0.0.1:1\n");
    Map<String, String> env = Map.of("AWS_CONFIG_FILE", file.toString(), "AWS_ENDPOINT_URL", "http://127.0.0.1:2",
        "AWS_ENDPOINT_URL_S3", "http://127.0.0.1:3");
    Properties system = new Properties();
    system.setProperty("aws.endpointUrlS3", "http://127.0.0.1:4");
    assertThat(parse(credentials().build(), system, env).endpoint).contains(URI.create("http://127.0.0.1:4"));
    assertThat(parse(credentials().build(), NO_SYSTEM, env).endpoint).contains(URI.create("http://127.0.0.1:3"));
    assertThat(parse(credentials().build(), NO_SYSTEM, Map.of("AWS_CONFIG_FILE", file.toString(),
        "AWS_ENDPOINT_URL", "http://127.0.0.1:2")).endpoint).contains(URI.create("http://127.0.0.1:2"));
    assertThat(parse(credentials().property("s3.endpoint", "http://127.0.0.1:5").build(), system, env).endpoint)
        .contains(URI.create("http://127.0.0.1:5"));
  }

  @Test
  void ignoreConfiguredEndpointUrls_isHonoured_butNotForCkpt4jsOwnSetting() throws Exception {
    Path file = config("ignore", "[default]\nendpoint_url = http://127.0.0.1:1\n");
    Map<String, String> env = Map.of("AWS_CONFIG_FILE", file.toString(), "AWS_ENDPOINT_URL_S3",
        "http://127.0.0.1:3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
    S3Settings s = parse(credentials().build(), NO_SYSTEM, env);
    assertThat(s.endpoint).isEmpty();
    assertThat(s.pathStyle).isFalse();
    Path inProfile = config("ignore-in-profile",
        "[default]\nendpoint_url = http://127.0.0.1:1\nignore_configured_endpoint_urls = true\n");
    assertThat(parse(credentials().build(), NO_SYSTEM, Map.of("AWS_CONFIG_FILE", inProfile.toString())).endpoint)
        .isEmpty();
    assertThat(parse(credentials().property("s3.endpoint", "http://127.0.0.1:5").build(), NO_SYSTEM, env).endpoint)
        .contains(URI.create("http://127.0.0.1:5"));
  }

  @Test
  void unreachableEndpointFromTheProfile_isNamedWithItsOrigin() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    Path file = config("closed", "[default]\nendpoint_url = http://127.0.0.1:" + closed + "\n");
    S3Settings s = parse(credentials().property("s3.max-attempts", "1").build(), NO_SYSTEM,
        Map.of("AWS_CONFIG_FILE", file.toString()));
    assertThat(s.endpoint).as("never send to AWS from a test").isPresent();
    try (S3ObjectStore store = new S3ObjectStore(s, S3StoreProvider.client(s))) {
      Throwable e = catchThrowable(() -> store.list(""));
      assertThat(e).isInstanceOf(StoreAccessException.class);
      assertThat(((StoreAccessException) e).reason()).isEqualTo(Reason.UNREACHABLE);
      assertThat(e.getMessage()).contains("http://127.0.0.1:" + closed).contains("endpoint_url of profile 'default'")
          .doesNotContain("default region");
    }
  }

  @Test
  void awsEndpoint_isNamedWithTheRegionTheClientUses() throws Exception {
    S3Settings s = parse(StoreOptions.forOwner("o").property("s3.region", "eu-west-3").build(), NO_SYSTEM, Map.of());
    try (var client = S3StoreProvider.client(s)) { // no request is sent
      assertThat(S3Errors.endpointName(s, client)).contains("eu-west-3").doesNotContain("default region");
    }
  }

  @Test
  void awsMaxAttemptsAndRetryMode_fromTheEnvironmentOrProfile_areNotOverridden() throws Exception {
    StoreOptions plain = credentials().build();
    assertThat(parse(plain, NO_SYSTEM, Map.of()).maxAttempts).isEqualTo(3);
    assertThat(parse(plain, NO_SYSTEM, Map.of()).retryMode).isEqualTo(RetryMode.STANDARD);
    S3Settings env = parse(plain, NO_SYSTEM, Map.of("AWS_MAX_ATTEMPTS", "7", "AWS_RETRY_MODE", "adaptive"));
    assertThat(env.maxAttempts).isEqualTo(7);
    assertThat(env.retryMode).isEqualTo(RetryMode.ADAPTIVE);
    Path file = config("retries", "[default]\nmax_attempts = 5\nretry_mode = legacy\n");
    S3Settings profile = parse(plain, NO_SYSTEM, Map.of("AWS_CONFIG_FILE", file.toString()));
    assertThat(profile.maxAttempts).isEqualTo(5);
    assertThat(profile.retryMode).isEqualTo(RetryMode.LEGACY);
    // ckpt4j's own explicit setting is the user's too, and the most specific
    assertThat(parse(credentials().property("s3.max-attempts", "2").build(), NO_SYSTEM,
        Map.of("AWS_MAX_ATTEMPTS", "7")).maxAttempts).isEqualTo(2);
    Throwable bad = catchThrowable(() -> parse(plain, NO_SYSTEM, Map.of("AWS_RETRY_MODE", "sometimes")));
    assertThat(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AWS_RETRY_MODE");
  }

  @Test
  void awsMaxAttempts_boundsTheRequestsSentToAThrottlingServer() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer throttling = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    throttling.createContext("/", exchange -> {
      requests.incrementAndGet();
      byte[] body = "<Error><Code>InternalError</Code><Message>try again</Message></Error>"
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    throttling.start();
    try {
      StoreOptions options = credentials()
          .property("s3.endpoint", "http://127.0.0.1:" + throttling.getAddress().getPort()).build();
      for (int attempts : new int[] {1, 2}) {
        requests.set(0);
        S3Settings s = parse(options, NO_SYSTEM, Map.of("AWS_MAX_ATTEMPTS", String.valueOf(attempts)));
        try (S3ObjectStore store = new S3ObjectStore(s, S3StoreProvider.client(s))) {
          Optional<Throwable> e = Optional.ofNullable(catchThrowable(() -> store.list("")));
          assertThat(e).isPresent();
          assertThat(requests.get()).isEqualTo(attempts);
          assertThat(e.get().getMessage()).contains(s.endpoint.get().toString());
        }
      }
    } finally {
      throttling.stop(0);
    }
  }
}
