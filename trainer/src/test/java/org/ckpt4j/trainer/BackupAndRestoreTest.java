package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.resume.JsonCodec;
import org.ckpt4j.resume.RunMismatchException;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.ckpt4j.spi.mem.InMemoryStoreProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BackupAndRestoreTest {

  private static History fit(Sequential m, INDArray x, int epochs, int batchSize, Callback... callbacks)
      throws IOException {
    return m.fit(x, Fixtures.seedY(), epochs, batchSize, true, List.of(callbacks), false);
  }

  private static void interruptAtEpoch4(String dir, BackupAndRestore backup) {
    assertThatThrownBy(() -> fit(Fixtures.seedModel(), Fixtures.seedX(), 10, 1, backup,
        new Fixtures.RaiseAtEpoch(4))).isInstanceOf(Fixtures.Boom.class);
  }

  private static Optional<Checkpoint> latest(String dir) throws IOException {
    try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
      return s.latest();
    }
  }

  @Test
  void backupOfAnotherRun_isRefusedNamingTheDifferingFields_andLeftIntact() throws Exception {
    String dir = Fixtures.memDir("mismatch");
    interruptAtEpoch4(dir, new BackupAndRestore(dir));
    Checkpoint before = latest(dir).orElseThrow();

    INDArray otherX = Fixtures.seedX().addi(1);
    assertThatThrownBy(() -> fit(Fixtures.seedModel(), otherX, 10, 2, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(RunMismatchException.class, e -> {
          assertThat(e.differingFields()).containsExactlyInAnyOrder("batchSize", "x");
          assertThat(e.uri()).isNotNull();
          assertThat(e.getMessage()).contains("batchSize (stored 1, this run 2)");
          assertThat(e.getCause()).isInstanceOf(ForeignContentException.class);
        });
    Sequential adam = Sequential.builder(20).dense(10, Activation.LINEAR).optimizer(Optimizer.adam(1e-3)).seed(7)
        .build();
    assertThatThrownBy(() -> fit(adam, Fixtures.seedX(), 10, 1, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(RunMismatchException.class,
            e -> assertThat(e.differingFields()).containsExactly("optimizer"));

    assertThat(latest(dir).orElseThrow().id()).isEqualTo(before.id());
    BackupAndRestore backup = new BackupAndRestore(dir);
    assertThat(fit(Fixtures.seedModel(), Fixtures.seedX(), 10, 1, backup).epochs()).containsExactly(4, 5, 6, 7, 8, 9);
  }

  @Test
  void changingOnlyEpochs_resumes_soAFinishedKeptRunCanBeExtended() throws Exception {
    String dir = Fixtures.memDir("extend");
    BackupAndRestore keep = BackupAndRestore.builder(dir).deleteCheckpoint(false).build();
    assertThat(fit(Fixtures.seedModel(), Fixtures.seedX(), 5, 1, keep).epochs()).hasSize(5);
    assertThat(latest(dir).orElseThrow().metadata()).containsEntry("epoch", "5");

    Sequential again = Fixtures.seedModel();
    assertThat(fit(again, Fixtures.seedX(), 5, 1, keep).epochs()).isEmpty();

    Sequential extended = Fixtures.seedModel();
    History h = fit(extended, Fixtures.seedX(), 8, 1, keep);
    assertThat(h.epochs()).containsExactly(5, 6, 7);
    Sequential straight = Fixtures.seedModel();
    History full = fit(straight, Fixtures.seedX(), 8, 1);
    Fixtures.assertBitIdentical(extended, straight);
    assertThat(h.loss()).isEqualTo(full.loss().subList(5, 8));
  }

  @Test
  void epochsAtOrBelowTheBackups_trainNothing_andKeepTheBackup_evenWithDeleteCheckpoint() throws Exception {
    String dir = Fixtures.memDir("typo");
    interruptAtEpoch4(dir, new BackupAndRestore(dir));
    Checkpoint before = latest(dir).orElseThrow();
    for (int epochs : new int[] {4, 2}) {
      BackupAndRestore backup = new BackupAndRestore(dir);
      assertThat(fit(Fixtures.seedModel(), Fixtures.seedX(), epochs, 1, backup).epochs()).isEmpty();
      assertThat(backup.keptUntrained()).isTrue();
      assertThat(latest(dir).orElseThrow().id()).isEqualTo(before.id());
    }
    BackupAndRestore backup = new BackupAndRestore(dir);
    Sequential resumed = Fixtures.seedModel();
    assertThat(fit(resumed, Fixtures.seedX(), 10, 1, backup).epochs()).containsExactly(4, 5, 6, 7, 8, 9);
    assertThat(backup.keptUntrained()).isFalse();
    assertThat(latest(dir)).isEmpty();
    Sequential straight = Fixtures.seedModel();
    fit(straight, Fixtures.seedX(), 10, 1);
    Fixtures.assertBitIdentical(resumed, straight);
  }

  @Test
  void corruptLatest_fallsBackToThePreviousBackup_whenKept() throws Exception {
    String dir = Fixtures.memDir("fallback");
    BackupAndRestore backup = BackupAndRestore.builder(dir).keepPrevious(true).build();
    interruptAtEpoch4(dir, backup);
    corrupt(dir, "model/0/W.npy");

    Sequential resumed = Fixtures.seedModel();
    History h = fit(resumed, Fixtures.seedX(), 10, 1, backup);
    assertThat(backup.restoredFromPrevious()).isTrue();
    assertThat(backup.restoredCheckpoint().orElseThrow().metadata()).containsEntry("epoch", "3");
    assertThat(h.epochs()).containsExactly(3, 4, 5, 6, 7, 8, 9);
    Sequential straight = Fixtures.seedModel();
    fit(straight, Fixtures.seedX(), 10, 1);
    Fixtures.assertBitIdentical(resumed, straight);
  }

  @Test
  void corruptLatest_withoutPrevious_failsClearly_andNeverStartsOverOnTopOfIt() throws Exception {
    String dir = Fixtures.memDir("corrupt");
    interruptAtEpoch4(dir, new BackupAndRestore(dir));
    corrupt(dir, "manifest.json");
    Checkpoint before = latest(dir).orElseThrow();

    assertThatThrownBy(() -> fit(Fixtures.seedModel(), Fixtures.seedX(), 10, 1, new BackupAndRestore(dir)))
        .isInstanceOfSatisfying(CorruptCheckpointException.class, e -> {
          assertThat(e.getMessage()).contains("keepPrevious=false").contains("refusing to start over");
          assertThat(e.uri().toString()).startsWith("mem:");
        });
    assertThat(latest(dir).orElseThrow().id()).isEqualTo(before.id());
  }

  static void corrupt(String dir, String blob) throws IOException {
    Checkpoint cp = latest(dir).orElseThrow();
    InMemoryObjectStore objects = InMemoryStoreProvider.objects(URI.create(dir));
    byte[] bytes = readBlob(cp, blob);
    // The blob's bytes lie somewhere in one of the checkpoint's pack objects: flip its last byte there.
    for (Map.Entry<String, byte[]> e : objects.snapshot().entrySet()) {
      byte[] content = e.getValue();
      if (!e.getKey().startsWith("data/" + cp.id())) { // data/<id>.pack-<n>
        continue;
      }
      for (int at = 0; at + bytes.length <= content.length; at++) {
        if (java.util.Arrays.equals(content, at, at + bytes.length, bytes, 0, bytes.length)) {
          content[at + bytes.length - 1] ^= 0x10;
          objects.put(e.getKey(), content);
          return;
        }
      }
    }
    throw new AssertionError("blob " + blob + " not found in " + objects.snapshot().keySet());
  }

  @Test
  void saveEveryNBatches_resumesMidEpochAtTheNextBatch_withoutReplayingTheEpoch() throws Exception {
    String dir = Fixtures.memDir("mid");
    BackupAndRestore backup = BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(3))
        .build();
    Callback crash = new Callback() {
      private Sequential model;

      @Override
      public void onTrainBegin(Sequential m) {
        model = m;
      }

      @Override
      public void onBatchBegin(int epoch, int batch) {
        if (model.optimizerSteps() == 23) {
          throw new Fixtures.Boom("step 23");
        }
      }
    };
    assertThatThrownBy(() -> fit(Fixtures.seedModel(), Fixtures.seedX(), 10, 1, backup, crash))
        .isInstanceOf(Fixtures.Boom.class);
    assertThat(latest(dir).orElseThrow().metadata()).containsEntry("globalStep", "21").containsEntry("epoch", "4")
        .containsEntry("batch", "1");

    List<Integer> batchesSeen = new java.util.ArrayList<>();
    Callback recorder = new Callback() {
      @Override
      public void onBatchBegin(int epoch, int batch) {
        batchesSeen.add(epoch * 100 + batch);
      }
    };
    Sequential resumed = Fixtures.seedModel();
    History h = fit(resumed, Fixtures.seedX(), 10, 1, backup, recorder);
    assertThat(batchesSeen).startsWith(401, 402, 403, 404, 500).hasSize(50 - 21);
    Sequential straight = Fixtures.seedModel();
    History full = fit(straight, Fixtures.seedX(), 10, 1);
    Fixtures.assertBitIdentical(resumed, straight);
    assertThat(h.epochs()).containsExactly(4, 5, 6, 7, 8, 9);
    assertThat(h.loss()).isEqualTo(full.loss().subList(4, 10));
  }

  @Test
  @SuppressWarnings("unchecked")
  void checkpointLayout_isAManifestAndOneNpyPerTensor_recordingTheNumericEnvironment() throws Exception {
    String dir = Fixtures.memDir("layout");
    Sequential m = Sequential.builder(20).dense(4, Activation.RELU).dense(10, Activation.LINEAR)
        .optimizer(Optimizer.adam(1e-4)).seed(3).build();
    LrSchedule schedule = new LrSchedule(1e-4, 0.9);
    assertThatThrownBy(() -> m.fit(Fixtures.seedX(), Fixtures.seedY(), 3, 2, true,
        List.of(BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(1)).build(), schedule,
            new Fixtures.RaiseAtEpoch(1) {
              @Override
              public void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {
                if (epoch == 0 && batch == 1) {
                  throw new Fixtures.Boom("mid-epoch");
                }
              }
            }), false)).isInstanceOf(Fixtures.Boom.class);
    Checkpoint cp = latest(dir).orElseThrow();
    assertThat(cp.blobs().keySet()).containsExactlyInAnyOrder("manifest.json",
        "model/0/W.npy", "model/0/b.npy", "model/1/W.npy", "model/1/b.npy",
        "optimizer/0/W.m.npy", "optimizer/0/W.v.npy", "optimizer/0/b.m.npy", "optimizer/0/b.v.npy",
        "optimizer/1/W.m.npy", "optimizer/1/W.v.npy", "optimizer/1/b.m.npy", "optimizer/1/b.v.npy",
        "data/order.npy", "callbacks/lr-schedule/lossTrail.npy");
    Map<String, Object> manifest = (Map<String, Object>) JsonCodec.parse(readBlob(cp, "manifest.json"));
    assertThat(manifest).containsKeys("fingerprint", "position", "rng", "optimizer", "tensors", "callbacks");
    assertThat((Map<String, Object>) manifest.get("numericEnvironment")).containsEntry("OMP_NUM_THREADS", "1")
        .containsEntry("OPENBLAS_CORETYPE", "Haswell");
    assertThat((Map<String, Object>) manifest.get("position")).containsEntry("epoch", 0L).containsEntry("batch", 1L)
        .containsEntry("globalStep", 1L); // the crash in batch 1's onBatchEnd came before batch 1's save
    // a mid-epoch backup holds the epoch's order
    INDArray order = Npy.read(java.nio.channels.Channels.newChannel(
        new java.io.ByteArrayInputStream(readBlob(cp, "data/order.npy"))), null, "order", DataType.INT, null);
    assertThat(order.toIntVector()).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
  }

  static byte[] readBlob(Checkpoint cp, String name) throws IOException {
    try (java.io.InputStream in = java.nio.channels.Channels.newInputStream(cp.openBlob(name))) {
      return in.readAllBytes();
    }
  }

  @Test
  void deleteCheckpoint_removesTheBackupWhenFitCompletes_keepKeepsTheFinalState() throws Exception {
    String dir = Fixtures.memDir("delete");
    fit(Fixtures.seedModel(), Fixtures.seedX(), 2, 1, new BackupAndRestore(dir));
    assertThat(latest(dir)).isEmpty();

    String kept = Fixtures.memDir("kept");
    fit(Fixtures.seedModel(), Fixtures.seedX(), 2, 1, BackupAndRestore.builder(kept)
        .saveFreq(BackupAndRestore.SaveFreq.everyBatches(4)).deleteCheckpoint(false).build());
    assertThat(latest(kept).orElseThrow().metadata()).containsEntry("epoch", "2").containsEntry("batch", "0");

    String never = Fixtures.memDir("never");
    fit(Fixtures.seedModel(), Fixtures.seedX(), 2, 1, BackupAndRestore.builder(never)
        .saveFreq(BackupAndRestore.SaveFreq.NEVER).deleteCheckpoint(false).build());
    assertThat(latest(never)).isEmpty();
  }

  @Test
  void badSaveFrequencies_areRefusedNamingTheValue() {
    for (String bad : new String[] {"0", "-3", "every", "", "1.5"}) {
      assertThatThrownBy(() -> BackupAndRestore.SaveFreq.parse(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("saveFreq \"" + bad + "\"");
    }
    assertThat(BackupAndRestore.SaveFreq.parse("Epoch")).isEqualTo(BackupAndRestore.SaveFreq.EPOCH);
    assertThat(BackupAndRestore.SaveFreq.parse("7")).isEqualTo(BackupAndRestore.SaveFreq.everyBatches(7));
    assertThatThrownBy(() -> BackupAndRestore.SaveFreq.everyBatches(0)).hasMessageContaining("saveFreq (0)");
  }

  @Test
  void emptyOrMismatchedData_isRefusedNamingTheArgument_beforeTouchingTheBackup() {
    String dir = Fixtures.memDir("bad-data");
    Sequential m = Fixtures.seedModel();
    BackupAndRestore b = new BackupAndRestore(dir);
    assertThatThrownBy(() -> m.fit(Nd4j.zeros(DataType.FLOAT, 0, 20), Nd4j.zeros(DataType.FLOAT, 0, 10), 1, 1, true,
        List.of(b), false)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("x must have shape");
    assertThatThrownBy(() -> m.fit(Fixtures.seedX(), Nd4j.zeros(DataType.FLOAT, 4, 10), 1, 1, true, List.of(b),
        false)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("y must have 5 rows");
    assertThatThrownBy(() -> m.fit(Fixtures.seedX(), Nd4j.zeros(DataType.FLOAT, 5, 3), 1, 1, true, List.of(b),
        false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5, 10]");
    assertThatThrownBy(() -> m.fit(Fixtures.seedX(), Fixtures.seedY(), 1, 0, true, List.of(b), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("batchSize (0)");
    assertThatThrownBy(() -> m.fit(Fixtures.seedX(), Fixtures.seedY(), 1, 1, true, List.of(b, b), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most one BackupAndRestore");
    Sequential sparse = Sequential.builder(20).dense(3, Activation.SOFTMAX)
        .loss(Loss.SPARSE_CATEGORICAL_CROSSENTROPY).build();
    assertThatThrownBy(() -> sparse.fit(Fixtures.seedX(), Nd4j.createFromArray(0f, 1f, 2f, 3f, 1f), 1, 1, true,
        List.of(), false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y[3] = 3.0");
  }

  @Test
  void unknownSchemeAndUnusableLocations_failWithTheStoresTypedErrors(@TempDir Path tmp) throws Exception {
    assertThatThrownBy(() -> fit(Fixtures.seedModel(), Fixtures.seedX(), 1, 1, new BackupAndRestore("nosuch://b/x")))
        .isInstanceOfSatisfying(UnsupportedSchemeException.class,
            e -> assertThat(e.availableSchemes()).contains("mem", "file"));
    Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
    assertThatThrownBy(() -> fit(Fixtures.seedModel(), Fixtures.seedX(), 1, 1,
        new BackupAndRestore(file.resolve("backup").toString())))
        .isInstanceOfSatisfying(CheckpointStoreException.class,
            e -> assertThat(e.uri().toString()).contains("a-file"));
  }

  @Test
  void localDirectoryBackups_resumeExactlyAcrossStoreInstances(@TempDir Path tmp) throws Exception {
    String dir = tmp.resolve("backup").toString();
    interruptAtEpoch4(dir, BackupAndRestore.builder(dir).keepPrevious(true).build());
    Sequential resumed = Fixtures.seedModel();
    assertThat(fit(resumed, Fixtures.seedX(), 10, 1, new BackupAndRestore(dir)).epochs()).hasSize(6);
    Sequential straight = Fixtures.seedModel();
    fit(straight, Fixtures.seedX(), 10, 1);
    Fixtures.assertBitIdentical(resumed, straight);
  }
}
