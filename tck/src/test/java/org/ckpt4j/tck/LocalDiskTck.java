package org.ckpt4j.tck;

import java.nio.file.Files;
import java.nio.file.Path;
import org.ckpt4j.spi.Capability;
import org.ckpt4j.storage.local.LocalStoreProvider;
import org.junit.jupiter.api.io.TempDir;

/** Certifies the local backend on the real disk ({@code file:}) with the full kit. */
class LocalDiskTck extends CheckpointStoreTck {
  @TempDir
  static Path root;

  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> Files.createTempDirectory(root, "dir").resolve("backup").toUri())
        .capabilities(Capability.CROSS_PROCESS, Capability.POWER_LOSS_DURABLE)
        // R7.2 on a simulated power-loss disk, R3.2's leftovers seen as files
        .pathObjects((dir, options) -> new LocalStoreProvider().objectStore(dir.toUri(), options).orElseThrow())
        .build();
  }
}
