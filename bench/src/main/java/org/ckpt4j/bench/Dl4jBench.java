package org.ckpt4j.bench;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * ckpt4j against DL4J's {@code ModelSerializer} for an equivalent MLP with Adam: the same parameters and Adam
 * moments, saved durably and restored into arrays. ckpt4j writes what the trainer writes for such a model: one
 * {@code .npy} blob per tensor (parameters, first and second moments) streamed from the native buffers.
 */
final class Dl4jBench {
  private static final double MIB = 1 << 20;

  private Dl4jBench() {}

  static void run(Path dir, int repeats, int width, int layers, Report report) throws IOException {
    Files.createDirectories(dir);
    NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(42).updater(new Adam(1e-3))
        .dataType(DataType.FLOAT).list();
    for (int i = 0; i < layers - 1; i++) {
      list.layer(new DenseLayer.Builder().nIn(width).nOut(width).activation(Activation.RELU).build());
    }
    list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(width).nOut(width)
        .activation(Activation.IDENTITY).build());
    MultiLayerConfiguration conf = list.build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // One step so that the Adam state exists and is non-zero.
    net.fit(Nd4j.rand(DataType.FLOAT, 8, width), Nd4j.rand(DataType.FLOAT, 8, width));
    long params = net.numParams();
    System.err.printf("  dl4j: MLP %d x %d, %,d parameters, Adam state %,d floats%n", layers, width, params,
        net.getUpdater().getStateViewArray().length());

    // The same tensors the ckpt4j trainer writes: each layer's W and b, and Adam's m and v for each.
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    for (int i = 0; i < layers; i++) {
      INDArray w = net.getLayer(i).getParam("W");
      INDArray b = net.getLayer(i).getParam("b");
      tensors.put("layer" + i + "/W.npy", w.dup('c'));
      tensors.put("layer" + i + "/b.npy", b.dup('c'));
      for (String moment : new String[] {"m", "v"}) {
        tensors.put("adam/" + moment + "/layer" + i + "/W.npy", w.dup('c'));
        tensors.put("adam/" + moment + "/layer" + i + "/b.npy", b.dup('c'));
      }
    }
    long bytes = tensors.values().stream().mapToLong(a -> a.length() * 4).sum();
    Map<String, INDArray> into = new LinkedHashMap<>();
    tensors.forEach((k, v) -> into.put(k, Nd4j.createUninitialized(DataType.FLOAT, v.shape())));

    Stats dl4jSave = new Stats();
    Stats dl4jRestore = new Stats();
    Stats save = new Stats();
    Stats restore = new Stats();
    File zip = dir.resolve("dl4j-model.zip").toFile();
    try (CheckpointStore store = CheckpointStores.open(dir.resolve("ckpt4j-mlp").toString(),
        StoreOptions.forOwner("bench-mlp").build())) {
      for (int r = 0; r < repeats + 1; r++) {
        boolean warmup = r == 0;
        long t0 = System.nanoTime();
        ModelSerializer.writeModel(net, zip, true);
        try (var ch = java.nio.channels.FileChannel.open(zip.toPath(), java.nio.file.StandardOpenOption.WRITE)) {
          ch.force(true); // durable, like a ckpt4j commit
        }
        long t1 = System.nanoTime();
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(zip, true);
        long t2 = System.nanoTime();
        if (restored.numParams() != params) {
          throw new IllegalStateException("DL4J restored a different model");
        }
        saveNpy(store, tensors);
        long t3 = System.nanoTime();
        restoreNpy(store, into);
        long t4 = System.nanoTime();
        if (!warmup) {
          dl4jSave.add((t1 - t0) / 1e9);
          dl4jRestore.add((t2 - t1) / 1e9);
          save.add((t3 - t2) / 1e9);
          restore.add((t4 - t3) / 1e9);
        }
        System.err.printf("  dl4j repeat %d/%d: DL4J save %.1f s restore %.1f s; ckpt4j save %.2f s restore %.2f s%s%n",
            r, repeats, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9,
            warmup ? " (warm-up, not counted)" : "");
      }
      store.delete();
    } finally {
      Files.deleteIfExists(zip.toPath());
    }
    String label = String.format("MLP %,dM params + Adam (%.0f MiB)", params / 1_000_000, bytes / MIB);
    report.compare("save " + label, "s", save, "DL4J ModelSerializer.writeModel", dl4jSave, false, 20);
    report.compare("restore " + label, "s", restore, "DL4J restoreMultiLayerNetwork", dl4jRestore, false, 10);
  }

  private static void saveNpy(CheckpointStore store, Map<String, INDArray> tensors) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
        try (WritableByteChannel ch = w.newBlob(e.getKey())) {
          LocalBench.writeFully(ch, npyHeader(e.getValue()));
          LocalBench.writeFully(ch, e.getValue().data().asNio().order(ByteOrder.LITTLE_ENDIAN));
        }
      }
      w.commit(Map.of("kind", "bench"));
    }
  }

  /** As the trainer restores tensors: each header into a buffer of its own, the elements into the array. */
  private static void restoreNpy(CheckpointStore store, Map<String, INDArray> into) throws IOException {
    Checkpoint cp = store.latest().orElseThrow();
    Map<String, java.util.List<ByteBuffer>> targets = new java.util.LinkedHashMap<>();
    into.forEach((name, a) -> targets.put(name, java.util.List.of(ByteBuffer.allocate(npyHeader(a).remaining()),
        a.data().asNio())));
    cp.readInto(targets);
  }

  /** A NumPy 1.0 header for a C-order little-endian float32 array, padded to 64 bytes. */
  private static ByteBuffer npyHeader(INDArray a) {
    StringBuilder shape = new StringBuilder("(");
    for (long d : a.shape()) {
      shape.append(d).append(", ");
    }
    if (a.rank() > 1) {
      shape.setLength(shape.length() - 2);
    } else {
      shape.setLength(shape.length() - 1);
    }
    shape.append(')');
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String text = dict + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) text.length()).put(text.getBytes(StandardCharsets.US_ASCII)).flip();
    return b;
  }
}
