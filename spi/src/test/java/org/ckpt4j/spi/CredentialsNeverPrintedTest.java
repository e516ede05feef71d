package org.ckpt4j.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 item 3: every error path of the registry ({@link CheckpointStores#toUri}, no provider, two
 * providers, a provider choice that names none) and the exception base class print URIs through {@link
 * Redaction}: no secret in the message, the cause chain, the stack trace or {@link
 * CheckpointStoreException#uri()}, while the bucket still shows.
 */
class CredentialsNeverPrintedTest {
  private static final StoreOptions OPTIONS = StoreOptions.forOwner("o").build();
  private static final List<String> SECRETS =
      List.of("se/cr+et", "pw0rd", "AKIAEXAMPLE", "tok/en+1", "sig+nat/ure", "hunter2");

  /** No exception printed anywhere contains any of the secrets. */
  static void assertNoSecret(Throwable e) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (String secret : SECRETS) {
        assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
        assertThat(t.toString()).doesNotContain(secret);
        if (t instanceof CheckpointStoreException) {
          assertThat(String.valueOf(((CheckpointStoreException) t).uri())).doesNotContain(secret);
        }
      }
    }
    for (String secret : SECRETS) {
      assertThat(trace.toString()).doesNotContain(secret);
    }
  }

  @Test
  void noProvider_forTheScheme_printsTheUriRedacted() {
    for (String location :
        List.of(
            "s3://AKIAEXAMPLE:se/cr+et@bucket/p",
            "gs://user:pw0rd@bucket/p",
            "gs://bucket/p?token=tok/en+1",
            "nosuch://AKIAEXAMPLE@host/p?X-Amz-Signature=sig+nat/ure")) {
      UnsupportedSchemeException e =
          catchThrowableOfType(UnsupportedSchemeException.class, () -> CheckpointStores.open(location, OPTIONS));
      assertNoSecret(e);
      assertThat(e.uri()).isNotNull();
      assertThat(e.uri().toString()).contains("p");
      assertThat(e.getMessage()).contains("***");
    }
    UnsupportedSchemeException e =
        catchThrowableOfType(
            UnsupportedSchemeException.class, () -> CheckpointStores.open("s3://AKIAEXAMPLE:se/cr+et@bucket/p", OPTIONS));
    assertThat(e.uri()).hasToString("s3://***@bucket/p");
  }

  @Test
  void malformedUri_printsTheLocationRedacted() {
    for (String location :
        List.of("s3://AKIAEXAMPLE:se/cr+et@bucket/p q", "gs://user:pw0rd@bucket/a b", "s3://b/p?token=hunter2 x")) {
      UnsupportedSchemeException e =
          catchThrowableOfType(UnsupportedSchemeException.class, () -> CheckpointStores.toUri(location));
      assertNoSecret(e);
      assertThat(e.getMessage()).contains("malformed").contains("***");
    }
  }

  @Test
  void twoProviders_andAChoiceOfNone_printTheUriRedacted() {
    // scheme "dup" has two providers in this module's test resources (see DiscoveryTest)
    UnsupportedSchemeException two =
        catchThrowableOfType(
            UnsupportedSchemeException.class,
            () -> CheckpointStores.open(URI.create("dup://user:pw0rd@bucket/p?secret=hunter2"), OPTIONS));
    assertNoSecret(two);
    assertThat(two.getMessage()).contains("several providers");
    assertThat(two.uri()).hasToString("dup://***@bucket/p?secret=***");

    StoreOptions choice = StoreOptions.forOwner("o").property("ckpt4j.provider.dup", "no.such.Provider").build();
    UnsupportedSchemeException none =
        catchThrowableOfType(
            UnsupportedSchemeException.class,
            () -> CheckpointStores.open(URI.create("dup://AKIAEXAMPLE@bucket/p"), choice));
    assertNoSecret(none);
    assertThat(none.getMessage()).contains("no.such.Provider");
  }

  @Test
  void everyExceptionType_redactsItsUriAndMessage() {
    URI uri = URI.create("gs://user:pw0rd@bucket/p?access_token=hunter2");
    String message = "failed against http://AKIAEXAMPLE:pw0rd@127.0.0.1:9000/b?X-Amz-Signature=sig+nat/ure";
    List<CheckpointStoreException> all =
        List.of(
            new CheckpointStoreException(uri, message),
            new StoreAccessException(uri, StoreAccessException.Reason.OTHER, message, new RuntimeException("x")),
            new UnsupportedSchemeException(uri, message, java.util.Set.of("gs")));
    for (CheckpointStoreException e : all) {
      assertNoSecret(e);
      assertThat(e.uri()).hasToString("gs://***@bucket/p?access_token=***");
      assertThat(e.getMessage()).contains("http://***@127.0.0.1:9000/b");
    }
    URI plain = URI.create("s3://bucket/x@y");
    assertThat(new CheckpointStoreException(plain, "m").uri()).isSameAs(plain);
  }
}
