package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SnapshotBuffersTest {

  private static TrainingSnapshot snapshot(float scale) {
    INDArray matrix = Nd4j.arange(24).castTo(DataType.FLOAT).reshape(4, 6).muli(scale);
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    tensors.put("model/0/W.npy", matrix);
    tensors.put("view/row.npy", matrix.getRow(2)); // a view into another array's buffer
    tensors.put("view/transposed.npy", matrix.transpose()); // not C order
    tensors.put("fortran.npy", matrix.dup('f'));
    tensors.put("data/order.npy", Nd4j.createFromArray(3, 1, 2, 0));
    tensors.put("double.npy", Nd4j.createFromArray(1.5, -0.0, Double.NaN));
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("format", FitRun.FORMAT);
    manifest.put("scale", (double) scale);
    return new TrainingSnapshot(manifest, tensors, Map.of("step", "1"));
  }

  private static Map<String, String> committedBytes(Map<String, ByteBuffer> blobs) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ByteBuffer> e : blobs.entrySet()) {
      ByteBuffer b = e.getValue().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      out.put(e.getKey(), RecordingStore.describe(e.getKey(), bytes));
    }
    return out;
  }

  private static Map<String, String> syncSaveBytes(TrainingSnapshot s) throws IOException {
    try (CheckpointStore store = CheckpointStores.overObjects(new InMemoryObjectStore(URI.create(
        Fixtures.memDir("snapshot-sync"))), StoreOptions.forOwner("test").build())) {
      Checkpoint cp = s.writeTo(store);
      Map<String, String> out = new LinkedHashMap<>();
      for (String name : cp.blobs().keySet()) {
        try (InputStream in = Channels.newInputStream(cp.openBlob(name))) {
          out.put(name, RecordingStore.describe(name, in.readAllBytes()));
        }
      }
      return out;
    }
  }

  @Test
  void fill_holdsTheBytesASynchronousSaveWrites_forViewsAndFortranOrderToo_inWriteOrder() throws IOException {
    TrainingSnapshot s = snapshot(1);
    Map<String, ByteBuffer> blobs = new SnapshotBuffers().acquire().fill(s);
    assertThat(blobs.keySet()).containsExactly("model/0/W.npy", "view/row.npy", "view/transposed.npy",
        "fortran.npy", "data/order.npy", "double.npy", "manifest.json");
    assertThat(committedBytes(blobs)).isEqualTo(syncSaveBytes(s));
  }

  @Test
  void aSetIsReused_sameBuffersNoAllocation_onceItsSaveIsDone_andGrowsForALargerTensor() throws IOException {
    SnapshotBuffers pool = new SnapshotBuffers();
    SnapshotBuffers.BufferSet a = pool.acquire();
    Map<String, ByteBuffer> first = a.fill(snapshot(1));
    a.handTo(CompletableFuture.completedFuture(null));
    SnapshotBuffers.BufferSet b = pool.acquire();
    assertThat(b).isNotSameAs(a);
    b.fill(snapshot(2));
    b.handTo(CompletableFuture.completedFuture(null));

    assertThat(pool.acquire()).isSameAs(a);
    TrainingSnapshot third = snapshot(3);
    Map<String, ByteBuffer> again = a.fill(third);
    assertThat(again.get("model/0/W.npy")).isSameAs(first.get("model/0/W.npy"));
    assertThat(again.get("double.npy")).isSameAs(first.get("double.npy"));
    assertThat(committedBytes(again)).isEqualTo(syncSaveBytes(third));

    // the same arrays, changed in place (as training does): their new values are copied
    a.handTo(CompletableFuture.completedFuture(null));
    assertThat(pool.acquire()).isSameAs(b);
    b.fill(third);
    b.handTo(CompletableFuture.completedFuture(null));
    assertThat(pool.acquire()).isSameAs(a);
    third.tensors.get("model/0/W.npy").addi(0.5f);
    third.tensors.get("data/order.npy").addi(1);
    TrainingSnapshot changed = new TrainingSnapshot(third.manifest, third.tensors, third.metadata);
    assertThat(committedBytes(a.fill(changed))).isEqualTo(syncSaveBytes(changed))
        .isNotEqualTo(syncSaveBytes(snapshot(3)));

    third.tensors.put("double.npy", Nd4j.createFromArray(1.0, 2.0, 3.0, 4.0));
    Map<String, ByteBuffer> grown = a.fill(third);
    assertThat(grown.get("double.npy")).isNotSameAs(first.get("double.npy"));
    assertThat(committedBytes(grown)).isEqualTo(syncSaveBytes(third));
  }

  @Test
  void aSetNotHandedToASave_isTheNextOneFilled() throws IOException {
    SnapshotBuffers pool = new SnapshotBuffers();
    SnapshotBuffers.BufferSet a = pool.acquire();
    a.fill(snapshot(1)); // the submit failed: never handed over
    assertThat(pool.acquire()).isSameAs(a);
  }

  @Test
  void acquire_returnsASetOnlyOnceTheSaveThatReadItIsDone_neverTheOneInFlight() throws Exception {
    SnapshotBuffers pool = new SnapshotBuffers();
    CompletableFuture<Void> firstSave = new CompletableFuture<>();
    CompletableFuture<Void> secondSave = new CompletableFuture<>();
    SnapshotBuffers.BufferSet a = pool.acquire();
    a.fill(snapshot(1));
    a.handTo(firstSave);
    SnapshotBuffers.BufferSet b = pool.acquire(); // the other set: no wait
    assertThat(b).isNotSameAs(a);
    b.fill(snapshot(2));
    b.handTo(secondSave);

    // both sets are being read: the next acquire waits for the first save, and returns its set
    AtomicReference<SnapshotBuffers.BufferSet> got = new AtomicReference<>();
    AtomicBoolean firstDoneWhenReturned = new AtomicBoolean();
    Thread t = new Thread(() -> {
      try {
        got.set(pool.acquire());
        firstDoneWhenReturned.set(firstSave.isDone());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    t.start();
    firstSave.completeExceptionally(new IOException("a failed save is done reading too"));
    t.join();
    assertThat(got.get()).isSameAs(a);
    assertThat(firstDoneWhenReturned).isTrue();
    assertThat(secondSave).isNotDone();
    a.fill(snapshot(3)); // free again
  }
}
