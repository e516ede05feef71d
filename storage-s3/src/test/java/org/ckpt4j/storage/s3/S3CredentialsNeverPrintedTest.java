package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Issue 17 item 3: secrets fed through every error path of the S3 backend (user info in the URI, also with a
 * {@code /} or {@code +} in the secret, secret-like query parameters, endpoint values with user info from an
 * option, the query, a system property or the environment, an unreachable endpoint with static credentials) never
 * appear in a message, the cause chain, a stack trace, {@code uri()} or {@code toString}; the errors still name
 * the bucket.
 */
class S3CredentialsNeverPrintedTest {
  private static final List<String> SECRETS =
      List.of("se/cr+et", "pw0rd", "AKIAEXAMPLE", "tok/en+1", "hunter2", "sess/ion+tok");
  private static final StoreOptions PLAIN = StoreOptions.forOwner("me").build();

  static void assertNoSecret(Throwable e, List<String> secrets) {
    assertThat(e).isNotNull();
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    for (String secret : secrets) {
      assertThat(trace.toString()).as("stack trace with causes").doesNotContain(secret);
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
        if (t instanceof CheckpointStoreException) {
          assertThat(String.valueOf(((CheckpointStoreException) t).uri())).doesNotContain(secret);
        }
      }
    }
  }

  /**
   * The module's test log (simplelogger.properties: the SDK's request, auth and retry loggers at DEBUG, the three
   * that storage-s3/README.md says must stay above DEBUG at INFO) holds none of the secrets, session token
   * included.
   */
  @AfterAll
  static void logHoldsNoSecret() throws IOException {
    String text = Files.readString(Path.of("target", "s3-tests.log"), StandardCharsets.UTF_8);
    assertThat(text).as("SDK DEBUG lines are captured").contains("Sending Request");
    for (String secret : SECRETS) {
      assertThat(text).as("test log").doesNotContain(secret);
    }
  }

  private static Throwable openFails(String uri, StoreOptions options) {
    Throwable t = catchThrowable(() -> CheckpointStores.open(uri, options).close());
    assertNoSecret(t, SECRETS);
    return t;
  }

  @Test
  void userInfoInTheUri_isRefusedAndNeverEchoed_alsoWithSlashAndPlusInTheSecret() {
    for (String uri :
        List.of(
            "s3://AKIAEXAMPLE:se/cr+et@my-bucket/p",
            "s3://AKIAEXAMPLE:pw0rd@my-bucket/p",
            "s3://AKIAEXAMPLE@my-bucket/p",
            "s3://AKIAEXAMPLE:se/cr+et@my-bucket/p?region=eu-west-1",
            "s3://AKIAEXAMPLE:hunter2@b/p")) {
      Throwable t = openFails(uri, PLAIN);
      assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
      UnsupportedSchemeException e = (UnsupportedSchemeException) t;
      assertThat(e.getMessage()).contains("user info");
      assertThat(e.uri().toString()).startsWith("s3://***@");
    }
  }

  @Test
  void generatedSecretsInTheUserInfo_neverAppear() {
    Gen<Character> base64 =
        integers().between(0, 63)
            .map(i -> "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charAt(i));
    Gen<String> secrets =
        integers().between(16, 40).flatMap(n -> in -> {
          StringBuilder b = new StringBuilder();
          for (int i = 0; i < n; i++) {
            b.append(base64.generate(in));
          }
          return b.toString();
        });
    qt().withExamples(200)
        .withFixedSeed(31)
        .forAll(secrets)
        .checkAssert(
            secret -> {
              Throwable t = catchThrowable(
                  () -> S3Settings.parse(URI.create("s3://AKIAEXAMPLE:" + secret + "@my-bucket/run"), PLAIN,
                      new Properties(), Map.of()));
              assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
              assertNoSecret(t, List.of(secret));
              assertThat(((UnsupportedSchemeException) t).uri()).hasToString("s3://***@my-bucket/run");
            });
  }

  @Test
  void secretLikeQueryParameters_areRefusedWithoutTheirValues() {
    for (String uri :
        List.of("s3://my-bucket/p?token=tok/en+1", "s3://my-bucket/p?secret-key=se/cr+et",
            "s3://my-bucket/p?session-token=sess/ion+tok", "s3://my-bucket/p?X-Amz-Signature=hunter2")) {
      Throwable t = openFails(uri, PLAIN);
      assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
      assertThat(((UnsupportedSchemeException) t).uri()).hasToString("s3://my-bucket/p");
    }
  }

  @Test
  void endpointValuesWithUserInfo_areRefusedWithoutTheSecret_fromEverySource() {
    List<String> values =
        List.of(
            "http://AKIAEXAMPLE:pw0rd@127.0.0.1:9000",
            "http://AKIAEXAMPLE:se/cr+et@127.0.0.1:9000",
            "AKIAEXAMPLE:pw0rd@127.0.0.1:9000",
            "AKIAEXAMPLE:se/cr+et@127.0.0.1:9000",
            "ftp://AKIAEXAMPLE:hunter2@127.0.0.1/x",
            "http://127.0.0.1:9000/?token=tok/en+1 x");
    List<Throwable> thrown = new ArrayList<>();
    for (String value : values) {
      thrown.add(openFails("s3://my-bucket/p", StoreOptions.forOwner("me").property("s3.endpoint", value).build()));
      Properties system = new Properties();
      system.setProperty("ckpt4j.s3.endpoint", value);
      thrown.add(catchThrowable(() -> S3Settings.parse(URI.create("s3://my-bucket/p"), PLAIN, system, Map.of())));
      thrown.add(catchThrowable(() -> S3Settings.parse(URI.create("s3://my-bucket/p"), PLAIN, new Properties(),
          Map.of("AWS_ENDPOINT_URL_S3", value))));
      thrown.add(catchThrowable(() -> S3Settings.parse(URI.create("s3://my-bucket/p"), PLAIN, new Properties(),
          Map.of("AWS_ENDPOINT_URL", value))));
    }
    thrown.add(openFails("s3://my-bucket/p?endpoint=http://AKIAEXAMPLE:pw0rd@127.0.0.1:9000", PLAIN));
    for (Throwable t : thrown) {
      assertNoSecret(t, SECRETS);
      assertThat(t).isInstanceOf(IllegalArgumentException.class);
      assertThat(t.getMessage()).contains("s3://my-bucket/p").containsIgnoringCase("endpoint");
    }
  }

  @Test
  void unreachableEndpoint_withStaticCredentials_neverPrintsThem_norDoesToString() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    StoreOptions options =
        StoreOptions.forOwner("me")
            .property("s3.endpoint", "http://127.0.0.1:" + port)
            .property("s3.access-key", "AKIAEXAMPLE")
            .property("s3.secret-key", "se/cr+et")
            .property("s3.session-token", "sess/ion+tok")
            .property("s3.region", "us-east-1")
            .property("s3.max-attempts", "1")
            .property("s3.connect-timeout", "1s")
            .build();
    Throwable t = openFails("s3://my-bucket/p", options);
    assertThat(t).isInstanceOf(StoreAccessException.class);
    assertThat(((StoreAccessException) t).reason()).isEqualTo(StoreAccessException.Reason.UNREACHABLE);
    assertThat(((StoreAccessException) t).uri()).hasToString("s3://my-bucket/p");
    try (S3ObjectStore store = S3StoreProvider.objects(URI.create("s3://my-bucket/p"), options)) {
      for (String secret : SECRETS) {
        assertThat(store.toString()).doesNotContain(secret);
      }
    }
  }
}
