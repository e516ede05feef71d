package org.ckpt4j.tck;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;

/** Certifies the local backend on an in-memory Jimfs file system ({@code jimfs:}) with the full kit. */
class JimfsTck extends CheckpointStoreTck {
  private final FileSystem fs = Jimfs.newFileSystem("tck-" + System.nanoTime(), Configuration.unix());

  @AfterAll
  void closeFs() throws Exception {
    fs.close();
  }

  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> Files.createTempDirectory(Files.createDirectories(fs.getPath("/tmp")), "d")
            .resolve("backup").toUri())
        .capabilities()
        // R3.2's leftovers seen as files (R7.2 needs POWER_LOSS_DURABLE, which Jimfs in memory is not)
        .pathObjects((dir, options) -> new org.ckpt4j.storage.local.LocalStoreProvider().objectStore(dir.toUri(),
            options).orElseThrow())
        .build();
  }
}
