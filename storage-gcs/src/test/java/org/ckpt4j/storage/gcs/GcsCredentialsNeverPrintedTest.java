package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Issue 17 item 3: secrets fed through every settings error path of the GCS backend (user info in the URI, also
 * with a {@code /} or {@code +} in the secret, secret-like query parameters, host values with user info from an
 * option, the query, a system property or {@code STORAGE_EMULATOR_HOST}) never appear in a message, the cause
 * chain, a stack trace, {@code uri()} or {@code toString}; the errors still name the bucket.
 */
class GcsCredentialsNeverPrintedTest {
  static final List<String> SECRETS = List.of("se/cr+et", "pw0rd", "AKIAEXAMPLE", "tok/en+1", "hunter2");
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

  private static Throwable openFails(String uri, StoreOptions options) {
    Throwable t = catchThrowable(() -> CheckpointStores.open(uri, options).close());
    assertNoSecret(t, SECRETS);
    return t;
  }

  @Test
  void userInfoInTheUri_isRefusedAndNeverEchoed_alsoWithSlashAndPlusInTheSecret() {
    for (String uri :
        List.of(
            "gs://user:pw0rd@my-bucket/p",
            "gs://AKIAEXAMPLE:se/cr+et@my-bucket/p",
            "gs://hunter2@my-bucket/p",
            "gs://user:se/cr+et@my-bucket/p?project=x")) {
      Throwable t = openFails(uri, PLAIN);
      assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
      UnsupportedSchemeException e = (UnsupportedSchemeException) t;
      assertThat(e.getMessage()).contains("user info");
      assertThat(e.uri()).hasToString("gs://***@my-bucket/p");
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
        .withFixedSeed(37)
        .forAll(secrets)
        .checkAssert(
            secret -> {
              Throwable t = catchThrowable(
                  () -> GcsSettings.parse(URI.create("gs://client:" + secret + "@my-bucket/run"), PLAIN,
                      new Properties(), Map.of()));
              assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
              assertNoSecret(t, List.of(secret));
              assertThat(((UnsupportedSchemeException) t).uri()).hasToString("gs://***@my-bucket/run");
            });
  }

  @Test
  void secretLikeQueryParameters_areRefusedWithoutTheirValues() {
    for (String uri :
        List.of("gs://my-bucket/p?token=tok/en+1", "gs://my-bucket/p?access_token=hunter2",
            "gs://my-bucket/p?client_secret=se/cr+et")) {
      Throwable t = openFails(uri, PLAIN);
      assertThat(t).isInstanceOf(UnsupportedSchemeException.class);
      assertThat(((UnsupportedSchemeException) t).uri()).hasToString("gs://my-bucket/p");
    }
  }

  @Test
  void hostValuesWithUserInfo_areRefusedWithoutTheSecret_fromEverySource() {
    List<String> values =
        List.of(
            "http://user:pw0rd@127.0.0.1:4443",
            "http://user:se/cr+et@127.0.0.1:4443",
            "user:pw0rd@127.0.0.1:4443",
            "AKIAEXAMPLE:se/cr+et@127.0.0.1:4443",
            "ftp://user:hunter2@127.0.0.1/x",
            "http://127.0.0.1:4443/?token=tok/en+1 x");
    List<Throwable> thrown = new ArrayList<>();
    for (String value : values) {
      thrown.add(openFails("gs://my-bucket/p", StoreOptions.forOwner("me").property("gs.host", value).build()));
      Properties system = new Properties();
      system.setProperty("ckpt4j.gs.host", value);
      thrown.add(catchThrowable(() -> GcsSettings.parse(URI.create("gs://my-bucket/p"), PLAIN, system, Map.of())));
      thrown.add(catchThrowable(() -> GcsSettings.parse(URI.create("gs://my-bucket/p"), PLAIN, new Properties(),
          Map.of("STORAGE_EMULATOR_HOST", value))));
    }
    thrown.add(openFails("gs://my-bucket/p?host=http://user:pw0rd@127.0.0.1:4443", PLAIN));
    for (Throwable t : thrown) {
      assertNoSecret(t, SECRETS);
      assertThat(t).isInstanceOf(IllegalArgumentException.class);
      assertThat(t.getMessage()).contains("gs://my-bucket/p").containsIgnoringCase("host");
    }
  }
}
