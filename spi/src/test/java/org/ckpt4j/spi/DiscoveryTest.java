package org.ckpt4j.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.mem.InMemoryStoreProvider;
import org.junit.jupiter.api.Test;

/**
 * Provider discovery through the real ServiceLoader: this module's test resources register two providers for
 * scheme {@code dup}, one whose constructor throws, and one class that does not exist, beside the built-in
 * {@code mem} provider.
 */
class DiscoveryTest {
  private static final StoreOptions OPTIONS = StoreOptions.forOwner("o").build();

  /** First provider of scheme "dup". */
  public static final class DupOne implements CheckpointStoreProvider {
    @Override
    public Set<String> schemes() {
      return Set.of("dup");
    }

    @Override
    public String artifact() {
      return "example:dup-one";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of();
    }

    @Override
    public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
      return new InMemoryStoreProvider().open(URI.create("mem:dup-one"), options);
    }
  }

  /** Second provider of scheme "dup". */
  public static final class DupTwo implements CheckpointStoreProvider {
    @Override
    public Set<String> schemes() {
      return Set.of("DUP");
    }

    @Override
    public String artifact() {
      return "example:dup-two";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of();
    }

    @Override
    public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
      throw new IOException("dup-two opened " + uri);
    }
  }

  /** A provider whose jar is broken: its constructor fails. */
  public static final class Broken implements CheckpointStoreProvider {
    public Broken() {
      throw new IllegalStateException("broken on purpose");
    }

    @Override
    public Set<String> schemes() {
      return Set.of("broken");
    }

    @Override
    public String artifact() {
      return "example:broken";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of();
    }

    @Override
    public CheckpointStore open(URI uri, StoreOptions options) {
      throw new AssertionError();
    }
  }

  @Test
  void brokenProviders_doNotHideTheOthers() throws IOException {
    try (CheckpointStore store = CheckpointStores.open("mem:discovery-ok", OPTIONS)) {
      assertThat(store.latest()).isEmpty();
    }
  }

  @Test
  void schemes_compareCaseInsensitively() throws IOException {
    try (CheckpointStore store = CheckpointStores.open("MEM:discovery-case", OPTIONS)) {
      assertThat(store.uri().toString()).isEqualTo("mem:discovery-case");
    }
  }

  @Test
  void unknownScheme_namesAvailableSchemesAndTheArtifact() {
    assertThatThrownBy(() -> CheckpointStores.open("s3://bucket/prefix", OPTIONS))
        .isInstanceOfSatisfying(UnsupportedSchemeException.class, e -> {
          assertThat(e.availableSchemes()).contains("mem", "dup");
          assertThat(e.uri()).isEqualTo(URI.create("s3://bucket/prefix"));
          assertThat(e.getMessage()).contains("org.ckpt4j:ckpt4j-storage-s3")
              .contains("broken on purpose").contains("NoSuchProviderClass");
        });
  }

  @Test
  void misspelledScheme_getsATargetedHint() {
    assertThatThrownBy(() -> CheckpointStores.open("gcs://bucket/prefix", OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("did you mean gs://");
    assertThatThrownBy(() -> CheckpointStores.open("s3a://bucket/prefix", OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("s3://bucket/prefix");
  }

  @Test
  void duplicateScheme_isAnErrorNamingBoth() {
    assertThatThrownBy(() -> CheckpointStores.open("dup:x", OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining(DupOne.class.getName()).hasMessageContaining(DupTwo.class.getName())
        .hasMessageContaining("ckpt4j.provider.dup");
  }

  @Test
  void duplicateScheme_explicitChoiceSettlesIt() throws IOException {
    StoreOptions choose = StoreOptions.forOwner("o").property("ckpt4j.provider.dup", DupOne.class.getName())
        .build();
    try (CheckpointStore store = CheckpointStores.open("dup:x", choose)) {
      assertThat(store.latest()).isEmpty();
    }
    StoreOptions unknown = StoreOptions.forOwner("o").property("ckpt4j.provider.dup", "no.Such").build();
    assertThatThrownBy(() -> CheckpointStores.open("dup:x", unknown))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("no.Such");
  }

  @Test
  void plainPaths_becomeAbsoluteFileUris() throws IOException {
    assertThat(CheckpointStores.toUri("backups/run1"))
        .isEqualTo(Path.of("backups/run1").toAbsolutePath().toUri());
    assertThat(CheckpointStores.toUri("/tmp/x").getScheme()).isEqualTo("file");
  }

  @Test
  void blankOrMalformedLocations_areRejectedWithTheRemedy() {
    assertThatThrownBy(() -> CheckpointStores.toUri(" ")).isInstanceOf(UnsupportedSchemeException.class)
        .hasMessageContaining("s3://bucket/prefix");
    assertThatThrownBy(() -> CheckpointStores.toUri("s3://bucket/a b"))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("percent-encode");
  }

  @Test
  void badMemName_isMalformed() {
    assertThatThrownBy(() -> CheckpointStores.open("mem:", OPTIONS)).isInstanceOf(UnsupportedSchemeException.class);
  }

  @Test
  void options_validateTheirArguments() {
    assertThatThrownBy(() -> StoreOptions.forOwner(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owner");
    assertThatThrownBy(() -> StoreOptions.forOwner("o").leaseTimeout(java.time.Duration.ofMillis(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseTimeout");
  }
}
