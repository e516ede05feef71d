package org.ckpt4j.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

class SnapshotBuffersTest {

  private static float[] arange(int n, float scale) {
    float[] f = new float[n];
    for (int k = 0; k < n; k++) {
      f[k] = k * scale;
    }
    return f;
  }

  /** A float32 tensor viewing the middle of a larger direct buffer (position and limit not at its ends). */
  private static Tensor slice(String name, float scale) {
    ByteBuffer big = ByteBuffer.allocateDirect(4 * 10).order(ByteOrder.nativeOrder());
    big.asFloatBuffer().put(arange(10, scale));
    return new Tensor(name, DType.FLOAT32, new long[] {3}, big.position(8).limit(20).slice()
        .order(ByteOrder.nativeOrder()));
  }

  private static Snapshot snapshot(float scale) {
    List<Tensor> tensors = new ArrayList<>();
    tensors.add(Tensor.ofFloats("model/0/W.npy", new long[] {4, 6}, arange(24, scale)));
    tensors.add(slice("view/row.npy", scale));
    tensors.add(Tensor.ofInts("data/order.npy", new int[] {3, 1, 2, 0}));
    tensors.add(doubles("double.npy", 1.5, -0.0, Double.NaN));
    tensors.add(Tensor.allocate("empty.npy", DType.INT64, new long[] {0, 3}));
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("format", TrainingManifest.FORMAT);
    manifest.put("scale", (double) scale);
    return new Snapshot(manifest, tensors, Map.of("step", "1"));
  }

  private static Tensor doubles(String name, double... values) {
    Tensor t = Tensor.allocate(name, DType.FLOAT64, new long[] {values.length});
    t.data().duplicate().order(ByteOrder.nativeOrder()).asDoubleBuffer().put(values);
    return t;
  }

  private static String describe(String name, byte[] bytes) throws IOException {
    if (name.endsWith(".json")) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    try {
      return bytes.length + " bytes, sha256=" + HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }

  private static Map<String, String> committedBytes(Map<String, ByteBuffer> blobs) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ByteBuffer> e : blobs.entrySet()) {
      ByteBuffer b = e.getValue().duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      out.put(e.getKey(), describe(e.getKey(), bytes));
    }
    return out;
  }

  private static Map<String, String> syncSaveBytes(Snapshot s) throws IOException {
    try (CheckpointStore store = CheckpointStores.overObjects(new InMemoryObjectStore(URI.create(
        "mem:snapshot-sync-" + System.nanoTime())), StoreOptions.forOwner("test").build())) {
      Checkpoint cp = s.writeTo(store);
      Map<String, String> out = new LinkedHashMap<>();
      for (String name : cp.blobs().keySet()) {
        try (InputStream in = Channels.newInputStream(cp.openBlob(name))) {
          out.put(name, describe(name, in.readAllBytes()));
        }
      }
      return out;
    }
  }

  @Test
  void fill_holdsTheBytesASynchronousSaveWrites_forSlicesAndEmptyTensorsToo_inWriteOrder() throws IOException {
    Snapshot s = snapshot(1);
    Map<String, ByteBuffer> blobs = new SnapshotBuffers().acquire().fill(s);
    assertThat(blobs.keySet()).containsExactly("model/0/W.npy", "view/row.npy", "data/order.npy", "double.npy",
        "empty.npy", "manifest.json");
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
    Snapshot third = snapshot(3);
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
    ByteBuffer w = third.tensors().get(0).data().duplicate().order(ByteOrder.nativeOrder());
    w.putFloat(0, w.getFloat(0) + 0.5f);
    ByteBuffer order = third.tensors().get(2).data().duplicate().order(ByteOrder.nativeOrder());
    order.putInt(0, order.getInt(0) + 1);
    Snapshot changed = new Snapshot(third.manifest(), third.tensors(), third.metadata());
    assertThat(committedBytes(a.fill(changed))).isEqualTo(syncSaveBytes(changed))
        .isNotEqualTo(syncSaveBytes(snapshot(3)));

    List<Tensor> more = new ArrayList<>(third.tensors());
    more.set(3, doubles("double.npy", 1.0, 2.0, 3.0, 4.0));
    Snapshot larger = new Snapshot(third.manifest(), more, third.metadata());
    Map<String, ByteBuffer> grown = a.fill(larger);
    assertThat(grown.get("double.npy")).isNotSameAs(first.get("double.npy"));
    assertThat(committedBytes(grown)).isEqualTo(syncSaveBytes(larger));
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
