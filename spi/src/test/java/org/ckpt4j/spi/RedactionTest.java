package org.ckpt4j.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

class RedactionTest {
  private static final String BASE64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  /** Secrets as AWS and GCS hand them out: base64 letters, '/' and '+' included, 16 to 40 of them. */
  private static Gen<String> secrets() {
    return integers().between(16, 40).flatMap(n -> chars(BASE64, n));
  }

  private static Gen<String> chars(String alphabet, int n) {
    Gen<Character> c = integers().between(0, alphabet.length() - 1).map(alphabet::charAt);
    return in -> {
      StringBuilder b = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        b.append(c.generate(in));
      }
      return b.toString();
    };
  }

  /**
   * Key-only user info (an access key id, a token) has no '/' in it: {@code s3://a/b@c} is the object {@code
   * b@c} in bucket {@code a}, not user info, and stays readable.
   */
  private static Gen<String> keyOnlySecrets() {
    return integers().between(16, 40).flatMap(n -> chars(BASE64.replace("/", "-._~"), n));
  }

  /** Places a secret can sit in a URI; %s is the secret. */
  private static final List<String> KEY_ONLY_TEMPLATES =
      List.of("s3://%s@bucket/prefix/dir", "gs://%s@bucket", "https://%s@s3.example.test");

  private static final List<String> TEMPLATES =
      List.of(
          "s3://AKIAEXAMPLE:%s@bucket/p",
          "gs://user:%s@bucket/p",
          "http://user:%s@127.0.0.1:9000/b",
          "s3://bucket/p?token=%s",
          "s3://bucket/p?x=1&Secret_Key=%s#frag",
          "https://h.example.test/b/o?X-Amz-Signature=%s&X-Amz-Date=1",
          "gs://bucket/p?sig=%s",
          "https://h.example.test/o?X-Amz-Credential=%s",
          "http://u:%s@[::1]:9000/b?access_token=x",
          "s3://AKIAEXAMPLE:%s@bucket/p?password=y");

  private static final List<String> SURROUNDINGS =
      List.of("%s", "cannot open %s: access denied", "uri='%s'", "(%s)", "\"%s\" and s3://other/x@y",
          "%s\n\tat Foo.bar", "first s3://ok/x then <%s>");

  @Test
  void redact_neverPrintsAGeneratedSecret_inAnyUriOrSurrounding() {
    qt().withExamples(2000)
        .withFixedSeed(17)
        .forAll(secrets(), Generate.pick(TEMPLATES), Generate.pick(SURROUNDINGS))
        .checkAssert(
            (secret, template, surrounding) -> {
              String text = String.format(surrounding, String.format(template, secret));
              String out = Redaction.redact(text);
              assertThat(out).as("redact(%s)", text).doesNotContain(secret).contains(Redaction.MASK);
            });
  }

  @Test
  void redact_neverPrintsAGeneratedKeyOnlyUserInfo() {
    qt().withExamples(1000)
        .withFixedSeed(16)
        .forAll(keyOnlySecrets(), Generate.pick(KEY_ONLY_TEMPLATES), Generate.pick(SURROUNDINGS))
        .checkAssert(
            (secret, template, surrounding) -> {
              String text = String.format(surrounding, String.format(template, secret));
              assertThat(Redaction.redact(text)).as("redact(%s)", text).doesNotContain(secret);
            });
  }

  @Test
  void redact_ofAUri_neverPrintsAGeneratedSecret() {
    qt().withExamples(1000)
        .withFixedSeed(18)
        .forAll(secrets(), Generate.pick(TEMPLATES))
        .checkAssert(
            (secret, template) -> {
              String s = String.format(template, secret);
              URI uri;
              try {
                uri = new URI(s);
              } catch (java.net.URISyntaxException e) {
                return; // '/' in user info is no legal URI: free text covers it
              }
              assertThat(Redaction.redact(uri)).doesNotContain(secret);
            });
  }

  @Test
  void redact_keepsWhatIsUseful() {
    assertThat(Redaction.redact("s3://AKIAEXAMPLE:se/cr+et@bucket/p"))
        .isEqualTo("s3://***@bucket/p");
    assertThat(Redaction.redact("gs://user:pw@bucket/p: not found"))
        .isEqualTo("gs://***@bucket/p: not found");
    assertThat(Redaction.redact("s3://AKIAEXAMPLE@bucket/p")).isEqualTo("s3://***@bucket/p");
    assertThat(Redaction.redact("http://u:p@127.0.0.1:9000")).isEqualTo("http://***@127.0.0.1:9000");
    assertThat(Redaction.redact("s3://bucket/p?Token=abc&region=x&api_KEY=def#f"))
        .isEqualTo("s3://bucket/p?Token=***&region=x&api_KEY=***#f");
    assertThat(Redaction.redact(URI.create("gs://user:pw@bucket/p?token=t")))
        .isEqualTo("gs://***@bucket/p?token=***");
  }

  @Test
  void redact_leavesOrdinaryPathsAlone() {
    for (String s :
        List.of(
            "file:///tmp/a@b",
            "s3://bucket/x@y",
            "s3://bucket/x:y@z",
            "gs://bucket/a/b@c:d",
            "http://127.0.0.1:9000",
            "http://[::1]:9000/b/c",
            "s3://bucket/p?region=eu&x=1",
            "no uri here: a@b, c:d",
            "",
            "://",
            "s3://")) {
      assertThat(Redaction.redact(s)).isEqualTo(s);
    }
    assertThat(Redaction.redact(URI.create("file:///tmp/a@b"))).isEqualTo("file:///tmp/a@b");
  }

  @Test
  void redact_leavesGeneratedOrdinaryPathsAlone() {
    qt().withExamples(1000)
        .withFixedSeed(19)
        .forAll(
            Generate.pick(List.of("s3://bucket/", "gs://my-bucket/dir/", "file:///tmp/", "file:/tmp/")),
            integers().between(0, 30).flatMap(n -> chars("abz09._-/@:~", n)))
        .assuming((prefix, path) -> !path.contains("://")) // a URI in the path is a URI
        .checkAssert((prefix, path) -> assertThat(Redaction.redact(prefix + path)).isEqualTo(prefix + path));
  }

  @Test
  void redact_neverThrows_onAnyText() {
    qt().withExamples(3000)
        .withFixedSeed(20)
        .forAll(strings().allPossible().ofLengthBetween(0, 60))
        .checkAssert(s -> assertThat(Redaction.redact(s)).isNotNull());
    qt().withExamples(3000)
        .withFixedSeed(21)
        .forAll(integers().between(0, 40).flatMap(n -> chars(":/@?&#=%[] \"tokensig", n)))
        .checkAssert(s -> assertThat(Redaction.redact(s)).isNotNull());
    assertThat(Redaction.redact((String) null)).isEqualTo("null");
    assertThat(Redaction.redact((URI) null)).isEqualTo("null");
  }
}
