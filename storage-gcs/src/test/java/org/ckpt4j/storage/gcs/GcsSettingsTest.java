package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.Test;

/** How {@code gs://} URIs and settings are parsed, without a server. */
class GcsSettingsTest {
  private static final StoreOptions NONE = StoreOptions.forOwner("me").build();

  private static GcsSettings parse(String uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    return GcsSettings.parse(URI.create(uri), options, system, env);
  }

  private static GcsSettings parse(String uri) throws UnsupportedSchemeException {
    return parse(uri, NONE, new Properties(), Map.of());
  }

  @Test
  void bucketAndPrefix_normalized() throws Exception {
    GcsSettings s = parse("gs://my-bucket/runs/run-42/");
    assertThat(s.bucket).isEqualTo("my-bucket");
    assertThat(s.prefix).isEqualTo("runs/run-42/");
    assertThat(s.uri).isEqualTo(URI.create("gs://my-bucket/runs/run-42"));
    GcsSettings root = parse("gs://my-bucket");
    assertThat(root.prefix).isEmpty();
  }

  @Test
  void defaults_googleCloudWithApplicationDefaultCredentials() throws Exception {
    GcsSettings s = parse("gs://b-1/x");
    assertThat(s.host).isEmpty();
    assertThat(s.noCredentials).isFalse();
    assertThat(s.maxAttempts).isEqualTo(6);
    assertThat(s.chunkSize).isEqualTo(8 << 20);
    assertThat(s.endpointName()).isEqualTo("Google Cloud Storage");
  }

  @Test
  void malformedUris_areUnsupportedSchemeErrorsSayingWhy() {
    assertThatThrownBy(() -> parse("gs:/no-authority")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("gs://bucket/prefix");
    assertThatThrownBy(() -> parse("gs://Upper_Case/x")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("invalid bucket name");
    assertThatThrownBy(() -> parse("gs://b-1/a/../b")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("invalid prefix");
    assertThatThrownBy(() -> parse("gs://b-1/a//b")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("invalid prefix");
    assertThatThrownBy(() -> parse("gs://b-1/x?color=red")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("unknown query parameter \"color\"");
    assertThatThrownBy(() -> parse("gs://b-1/x#frag")).isInstanceOf(UnsupportedSchemeException.class);
  }

  @Test
  void precedence_optionThenQueryThenSystemPropertyThenEnvironment() throws Exception {
    Properties system = new Properties();
    system.setProperty("ckpt4j.gs.host", "http://sys:1");
    system.setProperty("ckpt4j.gs.max-attempts", "2");
    Map<String, String> env = Map.of("STORAGE_EMULATOR_HOST", "env:2");
    StoreOptions opt = StoreOptions.forOwner("me").property("gs.host", "http://opt:3").build();

    assertThat(parse("gs://b-1/x?host=http://query:4", opt, system, env).host).hasValue("http://opt:3");
    assertThat(parse("gs://b-1/x?host=http://query:4", NONE, system, env).host).hasValue("http://query:4");
    assertThat(parse("gs://b-1/x", NONE, system, env).host).hasValue("http://sys:1");
    assertThat(parse("gs://b-1/x", NONE, system, env).maxAttempts).isEqualTo(2);
    assertThat(parse("gs://b-1/x", NONE, new Properties(), env).host).hasValue("http://env:2");
  }

  @Test
  void storageEmulatorHost_isHonoured_andImpliesNoCredentials() throws Exception {
    GcsSettings s = parse("gs://b-1/x", NONE, new Properties(), Map.of("STORAGE_EMULATOR_HOST", "localhost:9023"));
    assertThat(s.host).hasValue("http://localhost:9023");
    assertThat(s.noCredentials).isTrue();
    GcsSettings withCreds = parse("gs://b-1/x?credentials=default", NONE, new Properties(),
        Map.of("STORAGE_EMULATOR_HOST", "http://localhost:9023/"));
    assertThat(withCreds.host).hasValue("http://localhost:9023");
    assertThat(withCreds.noCredentials).isFalse();
    // an explicitly configured host does not switch credentials off
    assertThat(parse("gs://b-1/x?host=http://h:1").noCredentials).isFalse();
  }

  @Test
  void values_validated_namingTheSetting() {
    assertThatThrownBy(() -> parse("gs://b-1/x?chunk-size=100k")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query parameter chunk-size").hasMessageContaining("256KiB");
    assertThatThrownBy(() -> parse("gs://b-1/x?credentials=maybe")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"none\"");
    assertThatThrownBy(() -> parse("gs://b-1/x?max-attempts=0")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max-attempts");
    assertThatThrownBy(() -> parse("gs://b-1/x?host=ftp://h")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host");
    assertThatThrownBy(() -> parse("gs://b-1/x", StoreOptions.forOwner("me").property("gs.hots", "x").build(),
        new Properties(), Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gs.hots");
  }

  @Test
  void sizesAndDurations_parsed() throws Exception {
    GcsSettings s = parse("gs://b-1/x?chunk-size=512KiB&retry-delay=250ms&read-timeout=2m&connect-timeout=PT3S");
    assertThat(s.chunkSize).isEqualTo(512 * 1024);
    assertThat(s.retryDelay).isEqualTo(Duration.ofMillis(250));
    assertThat(s.readTimeout).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.connectTimeout).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void noCredentialsWithoutProject_neverLooksUpAProject() throws Exception {
    // the client would otherwise ask the GCE metadata server for a project: a test must not leave loopback
    try (var storage = GcsStoreProvider.client(parse("gs://b-1/x?credentials=none&host=http://127.0.0.1:9"))) {
      assertThat(storage.getOptions().getProjectId()).isEqualTo(GcsStoreProvider.NO_PROJECT);
      assertThat(storage.getOptions().getHost()).isEqualTo("http://127.0.0.1:9");
    }
    try (var storage = GcsStoreProvider.client(parse("gs://b-1/x?credentials=none&project=p-1&host=http://h:9"))) {
      assertThat(storage.getOptions().getProjectId()).isEqualTo("p-1");
    }
  }
}
