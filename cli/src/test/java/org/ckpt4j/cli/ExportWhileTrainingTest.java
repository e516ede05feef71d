package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Issue 17 item 11: export while a run commits a backup after every batch, in the same JVM on the local store.
 * Before readers retried on the new latest, most exports failed with SupersededCheckpointException.
 */
class ExportWhileTrainingTest {
  private static final int EXPORTS = Integer.getInteger("ckpt4j.trainer.exports", 20);

  @Test
  void exportsDuringTrainingThatSavesEveryBatch_allSucceed(@TempDir Path tmp) throws Exception {
    String dir = tmp.resolve("backup").toString();
    // a stop flag checked before every batch; the run saves after every batch
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    BackupAndRestore backup = BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(1))
        .build();
    AtomicReference<Throwable> trainingFailure = new AtomicReference<>();
    Thread training = new Thread(() -> {
      try {
        INDArray[] data = Main.dataset(256, 42);
        Main.model(42).fit(data[0], data[1], 1_000_000, 8, true, List.of(backup, new Callback() {
          @Override
          public void onBatchBegin(int epoch, int batch) {
            if (stop.get()) {
              throw new Fixtures.Boom("stopped by the test");
            }
          }
        }), false);
      } catch (Fixtures.Boom expected) {
        // done
      } catch (Throwable t) {
        trainingFailure.set(t);
      }
    }, "training");
    training.start();
    List<String> failures = new ArrayList<>();
    long first;
    long last;
    try {
      try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (s.latest().isEmpty() && System.nanoTime() < deadline && trainingFailure.get() == null) {
          Thread.sleep(10);
        }
        first = s.latest().orElseThrow().sequence();
      }
      for (int k = 0; k < EXPORTS; k++) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"export", "--backup-dir", dir, "--to", tmp.resolve("out-" + k).toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        if (code != 0) {
          failures.add(k + ": " + err.toString(StandardCharsets.UTF_8).trim());
        }
      }
      try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
        last = s.latest().orElseThrow().sequence();
      }
    } finally {
      stop.set(true);
      training.join(60_000);
    }
    assertThat(trainingFailure.get()).isNull();
    assertThat(failures).isEmpty();
    // the run committed all along the exports (the previous code failed 11 of 20 here)
    assertThat(last - first).as("commits during the exports").isGreaterThanOrEqualTo(EXPORTS / 4);
  }
}
