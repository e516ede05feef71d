package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.Test;

/** Parsing of {@code s3://} URIs and settings, with explicit system properties and environment. */
class S3SettingsTest {
  private static final String SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
  private static final Properties NO_SYSTEM = new Properties();
  private static final StoreOptions PLAIN = StoreOptions.forOwner("me").build();

  private static S3Settings parse(String uri, StoreOptions options) throws UnsupportedSchemeException {
    return S3Settings.parse(URI.create(uri), options, NO_SYSTEM, Map.of());
  }

  @Test
  void bucketAndPrefix_areSplitAndNormalized() throws Exception {
    S3Settings s = parse("s3://my-bucket/runs/run-42/", PLAIN);
    assertThat(s.bucket).isEqualTo("my-bucket");
    assertThat(s.prefix).isEqualTo("runs/run-42/");
    assertThat(s.uri).isEqualTo(URI.create("s3://my-bucket/runs/run-42"));
    S3Settings root = parse("s3://my-bucket", PLAIN);
    assertThat(root.prefix).isEmpty();
    assertThat(root.uri).isEqualTo(URI.create("s3://my-bucket"));
  }

  @Test
  void defaults_awsEndpointVirtualHostedStyleThreeAttempts() throws Exception {
    S3Settings s = parse("s3://bkt/p", PLAIN);
    assertThat(s.endpoint).isEmpty();
    assertThat(s.pathStyle).isFalse();
    assertThat(s.region).isEmpty();
    assertThat(s.accessKey).isEmpty();
    assertThat(s.maxAttempts).isEqualTo(3);
    assertThat(s.partSize).isEqualTo(8L << 20);
    assertThat(s.parallelism).isEqualTo(4);
  }

  @Test
  void endpoint_optionBeatsQueryBeatsSystemPropertyBeatsEnvironment() throws Exception {
    Properties system = new Properties();
    system.setProperty("ckpt4j.s3.endpoint", "http://sysprop:1");
    Map<String, String> env = Map.of("AWS_ENDPOINT_URL_S3", "http://env-s3:2", "AWS_ENDPOINT_URL", "http://env:3");
    URI withQuery = URI.create("s3://bkt/p?endpoint=http://query:4");
    StoreOptions withOption = StoreOptions.forOwner("me").property("s3.endpoint", "http://option:5").build();

    assertThat(S3Settings.parse(withQuery, withOption, system, env).endpoint).contains(URI.create("http://option:5"));
    assertThat(S3Settings.parse(withQuery, PLAIN, system, env).endpoint).contains(URI.create("http://query:4"));
    URI plain = URI.create("s3://bkt/p");
    assertThat(S3Settings.parse(plain, PLAIN, system, env).endpoint).contains(URI.create("http://sysprop:1"));
    assertThat(S3Settings.parse(plain, PLAIN, NO_SYSTEM, env).endpoint).contains(URI.create("http://env-s3:2"));
    assertThat(S3Settings.parse(plain, PLAIN, NO_SYSTEM, Map.of("AWS_ENDPOINT_URL", "http://env:3")).endpoint)
        .contains(URI.create("http://env:3"));
  }

  @Test
  void pathStyle_defaultsToTrueWithAnEndpoint_andCanBeOverridden() throws Exception {
    assertThat(parse("s3://bkt/p?endpoint=http://127.0.0.1:9000", PLAIN).pathStyle).isTrue();
    assertThat(parse("s3://bkt/p?endpoint=http://127.0.0.1:9000&path-style=false", PLAIN).pathStyle).isFalse();
    assertThat(parse("s3://bkt/p?path-style=true", PLAIN).pathStyle).isTrue();
  }

  @Test
  void tuning_isParsedWithUnits() throws Exception {
    StoreOptions o = StoreOptions.forOwner("me").property("s3.part-size", "16MiB").property("s3.parallelism", "8")
        .property("s3.max-attempts", "5").property("s3.connect-timeout", "500ms").property("s3.read-timeout", "PT2M")
        .property("s3.region", "eu-central-1").build();
    S3Settings s = parse("s3://bkt/p", o);
    assertThat(s.partSize).isEqualTo(16L << 20);
    assertThat(s.parallelism).isEqualTo(8);
    assertThat(s.maxAttempts).isEqualTo(5);
    assertThat(s.connectTimeout).isEqualTo(Duration.ofMillis(500));
    assertThat(s.readTimeout).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.region).contains("eu-central-1");
  }

  @Test
  void badValues_areRejectedNamingWhereTheyCameFrom() {
    assertThatThrownBy(() -> parse("s3://bkt/p?part-size=1MiB", PLAIN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query parameter part-size").hasMessageContaining("5MiB");
    assertThatThrownBy(() -> parse("s3://bkt/p", StoreOptions.forOwner("me").property("s3.max-attempts", "0")
        .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("option s3.max-attempts");
    assertThatThrownBy(() -> parse("s3://bkt/p?endpoint=ftp://x", PLAIN)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("http://");
    assertThatThrownBy(() -> parse("s3://bkt/p", StoreOptions.forOwner("me").property("s3.endpont", "http://x")
        .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s3.endpont")
        .hasMessageContaining("endpoint");
    assertThatThrownBy(() -> parse("s3://bkt/p?regoin=x", PLAIN)).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("regoin");
  }

  @Test
  void malformedUris_areRefusedWithAHint() {
    assertThatThrownBy(() -> parse("s3:bucket/p", PLAIN)).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("s3://bucket/prefix");
    assertThatThrownBy(() -> parse("s3://bkt/a//b", PLAIN)).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("invalid prefix");
    assertThatThrownBy(() -> parse("s3://bkt/a/../b", PLAIN)).isInstanceOf(UnsupportedSchemeException.class);
    assertThatThrownBy(() -> parse("s3://bkt/a b".replace(" ", "%20"), PLAIN)).isInstanceOf(
        UnsupportedSchemeException.class);
    assertThatThrownBy(() -> parse("s3://b/p", PLAIN)).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("bucket name");
  }

  @Test
  void credentials_areNeverAcceptedInTheUri_andNeverEchoed() {
    assertThatThrownBy(() -> parse("s3://bkt/p?secret-key=" + SECRET, PLAIN))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("secret-key")
        .hasMessageNotContaining(SECRET)
        .satisfies(e -> assertThat(((UnsupportedSchemeException) e).uri().toString()).doesNotContain(SECRET));
    assertThatThrownBy(() -> parse("s3://AKIDEXAMPLE:" + SECRET + "@b1/p", PLAIN))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("user info")
        .hasMessageNotContaining(SECRET)
        .satisfies(e -> assertThat(((UnsupportedSchemeException) e).uri().toString()).doesNotContain(SECRET));
    assertThatThrownBy(() -> parse("s3://bkt/p?endpoint=http://AKID:" + SECRET + "@host:9000", PLAIN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user info");
  }

  @Test
  void staticCredentials_comeInPairs_andToStringHidesThem() throws Exception {
    StoreOptions both = StoreOptions.forOwner("me").property("s3.access-key", "AKID")
        .property("s3.secret-key", SECRET).build();
    S3Settings s = parse("s3://bkt/p", both);
    assertThat(s.accessKey).contains("AKID");
    assertThat(s.secretKey).contains(SECRET);
    assertThat(s.toString()).doesNotContain(SECRET).contains("credentials=static");
    assertThat(both.toString()).doesNotContain(SECRET);
    assertThatThrownBy(() -> parse("s3://bkt/p", StoreOptions.forOwner("me").property("s3.secret-key", SECRET)
        .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("access-key")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void systemPropertyCredentials_areUsedWhenNoOptionIsGiven() throws Exception {
    Properties system = new Properties();
    system.setProperty("ckpt4j.s3.access-key", "AKID2");
    system.setProperty("ckpt4j.s3.secret-key", SECRET);
    S3Settings s = S3Settings.parse(URI.create("s3://bkt/p"), PLAIN, system, Map.of());
    assertThat(s.accessKey).contains("AKID2");
    assertThat(s.secretKey).contains(SECRET);
  }

  @Test
  void partSize_thatOverflowsALong_isRejected_notWrappedIntoRange() {
    // (2^34 + 1) GiB is 2^64 + 1 GiB: shifted in 64 bits it wrapped to exactly 1 GiB and was accepted.
    assertThatThrownBy(() -> parse("s3://bkt/p?part-size=17179869185g", PLAIN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query parameter part-size");
  }
}
