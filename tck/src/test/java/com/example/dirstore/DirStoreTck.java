package com.example.dirstore;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.tck.CheckpointStoreTck;
import org.ckpt4j.tck.TckFixture;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example third-party backend certified exactly as {@code tck/README.md} tells a backend author to: one
 * class extending {@link CheckpointStoreTck}, using only the kit's public API.
 */
class DirStoreTck extends CheckpointStoreTck {
  @TempDir
  static Path root;

  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> URI.create("dirstore://" + Files.createTempDirectory(root, "run")
            .resolve("backup").toUri().getPath()))
        .capabilities(Capability.CROSS_PROCESS)
        .build();
  }
}
