package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ckpt4j.spi.AsyncCommitter;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Async save: the same exact resume as a synchronous save, with the writing on a background thread. */
class AsyncSaveTest {

  @Test
  void asyncSaves_resumeBitIdenticalAfterAnInterruption_midEpochToo() throws Exception {
    for (BackupAndRestore.SaveFreq freq : List.of(BackupAndRestore.SaveFreq.EPOCH,
        BackupAndRestore.SaveFreq.everyBatches(3))) {
      String dir = Fixtures.memDir("async-" + freq);
      BackupAndRestore first = BackupAndRestore.builder(dir).saveFreq(freq).asyncSave(true).build();
      assertThatThrownBy(() -> Fixtures.seedModel().fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true,
          List.of(first, new Fixtures.RaiseAtEpoch(4)), false)).isInstanceOf(Fixtures.Boom.class);
      assertThat(first.savesWritten()).isPositive();

      Sequential resumed = Fixtures.seedModel();
      BackupAndRestore second = BackupAndRestore.builder(dir).saveFreq(freq).asyncSave(true).build();
      History h = resumed.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(second), false);
      // the save submitted right before the interruption was completed, not lost
      assertThat(second.restoredCheckpoint()).isPresent();
      if (freq == BackupAndRestore.SaveFreq.EPOCH) {
        assertThat(h.epochs()).containsExactly(4, 5, 6, 7, 8, 9);
      } else {
        // 5 batches an epoch, a save every 3: the last one before epoch 4 is at epoch 3, batch 3
        assertThat(h.epochs()).containsExactly(3, 4, 5, 6, 7, 8, 9);
        assertThat(second.restoredCheckpoint().get().metadata()).containsEntry("epoch", "3");
      }

      Sequential uninterrupted = Fixtures.seedModel();
      uninterrupted.fit(Fixtures.seedX(), Fixtures.seedY(), 10, 1, true, List.of(), false);
      Fixtures.assertBitIdentical(resumed, uninterrupted);
    }
  }

  @Test
  void asyncSaves_withAdamAndCallbackState_resumeBitIdentical_fromBackupsWrittenThroughReusedBuffers()
      throws Exception {
    String dir = Fixtures.memDir("async-adam");
    BackupAndRestore first = BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(2))
        .asyncSave(true).build();
    assertThatThrownBy(() -> adamModel().fit(Fixtures.seedX(), Fixtures.seedY(), 6, 1, true,
        List.of(first, new LrSchedule(1e-3, 0.95), new Fixtures.RaiseAtEpoch(4)), false))
        .isInstanceOf(Fixtures.Boom.class);
    assertThat(first.savesWritten()).isGreaterThan(2); // both buffer sets were reused

    Sequential resumed = adamModel();
    BackupAndRestore second = BackupAndRestore.builder(dir).saveFreq(BackupAndRestore.SaveFreq.everyBatches(2))
        .asyncSave(true).build();
    resumed.fit(Fixtures.seedX(), Fixtures.seedY(), 6, 1, true, List.of(second, new LrSchedule(1e-3, 0.95)), false);
    assertThat(second.restoredCheckpoint()).isPresent();

    Sequential uninterrupted = adamModel();
    uninterrupted.fit(Fixtures.seedX(), Fixtures.seedY(), 6, 1, true, List.of(new LrSchedule(1e-3, 0.95)), false);
    Fixtures.assertBitIdentical(resumed, uninterrupted);
  }

  @Test
  void asyncAndSyncSaves_commitByteIdenticalCheckpoints_manifestAndEveryNpyBlob() throws Exception {
    List<Map<String, String>> sync = committedCheckpoints(false);
    List<Map<String, String>> async = committedCheckpoints(true);
    // 2 epochs of 5 batches, a save every 2 batches (mostly mid-epoch), and the final state at the end of the fit
    assertThat(sync).hasSize(6);
    assertThat(sync.get(0)).containsKeys("manifest.json", "data/order.npy", "callbacks/lr-schedule/lossTrail.npy",
        "optimizer/1/b.v.npy");
    assertThat(async).isEqualTo(sync);
  }

  private static List<Map<String, String>> committedCheckpoints(boolean asyncSave) throws IOException {
    Sequential model = adamModel();
    try (RecordingStore store = new RecordingStore(memStore(model, true), (checkpoint, blob, call) -> {})) {
      BackupAndRestore backup = BackupAndRestore.builder(store).saveFreq(BackupAndRestore.SaveFreq.everyBatches(2))
          .deleteCheckpoint(false).asyncSave(asyncSave).build();
      model.fit(Fixtures.seedX(), Fixtures.seedY(), 2, 1, true, List.of(backup, new LrSchedule(1e-3, 0.9)), false);
      return new ArrayList<>(store.committed);
    }
  }

  /**
   * The first background save is held halfway through its first blob until training has copied the second
   * save's snapshot and waits for the first save to finish; the third save copies into the buffers the first
   * one wrote from. Every committed checkpoint must hold exactly the state of its own step: a snapshot buffer
   * overwritten while its save still reads it would mix two steps.
   */
  @Test
  void aSnapshotIsNeverOverwrittenWhileItsSaveReadsIt_eachCheckpointHoldsTheStateOfItsOwnStep() throws Exception {
    Sequential model = adamModel();
    Thread trainer = Thread.currentThread();
    AtomicBoolean held = new AtomicBoolean();
    RecordingStore.WriteHook hold = (checkpoint, blob, call) -> {
      if (checkpoint == 0 && call == 1 && blob.equals("model/0/W.npy")) {
        awaitWaitingForPreviousSave(trainer);
        held.set(true);
      }
    };
    List<Map<String, String>> expected = new ArrayList<>();
    Callback recordState = new Callback() {
      @Override
      public void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {
        // runs before this batch's save: the state that save must hold
        expected.add(npyBlobs(model));
      }
    };
    try (RecordingStore store = new RecordingStore(memStore(model, false), hold)) {
      BackupAndRestore backup = BackupAndRestore.builder(store).saveFreq(BackupAndRestore.SaveFreq.everyBatches(1))
          .deleteCheckpoint(false).asyncSave(true).build();
      model.fit(Fixtures.seedX(), Fixtures.seedY(), 1, 1, false, List.of(recordState, backup), false);
      assertThat(held).as("the first save was held while training copied the second").isTrue();
      assertThat(store.committed).hasSize(6); // a save after each of the 5 steps, and the final state at the end
      for (int k = 0; k < 5; k++) {
        assertThat(store.committed.get(k)).as("checkpoint of step %d", k + 1).containsAllEntriesOf(expected.get(k));
        assertThat(store.committed.get(k).get("@metadata")).contains("globalStep=" + (k + 1));
      }
    }
  }

  /** Waits until {@code trainer} is blocked in the committer, waiting for the save in flight. */
  private static void awaitWaitingForPreviousSave(Thread trainer) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (Arrays.stream(trainer.getStackTrace()).noneMatch(e -> e.getClassName().equals(
        AsyncCommitter.class.getName()) && e.getMethodName().equals("await"))) {
      if (System.nanoTime() > deadline) {
        throw new IOException("training never came to wait for the held save; it is at "
            + Arrays.toString(trainer.getStackTrace()));
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        throw new InterruptedIOException();
      }
    }
  }

  /** The model and optimizer blobs a checkpoint of the model's current state holds, as {@link RecordingStore}. */
  private static Map<String, String> npyBlobs(Sequential model) {
    Map<String, String> blobs = new LinkedHashMap<>();
    FitRun view = new FitRun(model, Fixtures.seedX(), Fixtures.seedY(), 1, 1, false, List.of(), null);
    for (Map.Entry<String, INDArray> e : view.state().arrays().entrySet()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (WritableByteChannel ch = Channels.newChannel(bytes)) {
        Npy.write(ch, e.getValue());
      } catch (IOException ex) {
        throw new IllegalStateException(ex);
      }
      blobs.put(e.getKey(), RecordingStore.describe(e.getKey(), bytes.toByteArray()));
    }
    return blobs;
  }

  private static Sequential adamModel() {
    return Sequential.builder(20).dense(16, Activation.RELU).dense(10, Activation.LINEAR)
        .optimizer(Optimizer.adam(1e-3)).loss(Loss.MEAN_SQUARED_ERROR).seed(11).build();
  }

  /** An in-memory store opened for the fit of {@code model} on the seed data with batch size 1. */
  private static CheckpointStore memStore(Sequential model, boolean shuffle) throws IOException {
    return CheckpointStores.overObjects(new InMemoryObjectStore(URI.create(Fixtures.memDir("async-recorded"))),
        StoreOptions.forOwner(new FitRun(model, Fixtures.seedX(), Fixtures.seedY(), 1, 1, shuffle, List.of(), null)
            .fingerprint().encoded()).build());
  }
}
