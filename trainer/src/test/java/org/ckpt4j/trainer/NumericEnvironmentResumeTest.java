package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.ckpt4j.resume.JsonCodec;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.Test;

class NumericEnvironmentResumeTest {

  @Test
  @SuppressWarnings("unchecked")
  void resumingABackupWrittenUnderOtherNumericsWarnsNamingTheDifference() throws Exception {
    String dir = Fixtures.memDir("env");
    assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 6, 1, true,
        List.of(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(2)), false)).isInstanceOf(Fixtures.Boom.class);

    // rewrite the backup as if it came from a process with 4 OpenMP threads
    Checkpoint cp;
    try (CheckpointStore ro = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
      cp = ro.latest().orElseThrow();
    }
    Map<String, Object> manifest = (Map<String, Object>) JsonCodec.parse(BackupAndRestoreTest.readBlob(cp,
        "manifest.json"));
    ((Map<String, Object>) manifest.get("numericEnvironment")).put("OMP_NUM_THREADS", "4");
    try (CheckpointStore store = CheckpointStores.open(dir,
        StoreOptions.forOwner((String) manifest.get("fingerprint")).build());
        CheckpointWriter w = store.begin()) {
      for (String name : cp.blobs().keySet()) {
        byte[] content = name.equals("manifest.json") ? JsonCodec.bytes(manifest)
            : BackupAndRestoreTest.readBlob(cp, name);
        try (WritableByteChannel ch = w.newBlob(name)) {
          Npy.writeFully(ch, ByteBuffer.wrap(content));
        }
      }
      w.commit(cp.metadata());
    }

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    History h;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      h = Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 6, 1, true,
          List.of(new BackupAndRestore(dir)), false);
    } finally {
      System.setErr(saved);
    }
    assertThat(h.epochs()).containsExactly(2, 3, 4, 5);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("WARN")
        .contains("different numeric environment").contains("OMP_NUM_THREADS: stored 4, now 1");
  }
}
