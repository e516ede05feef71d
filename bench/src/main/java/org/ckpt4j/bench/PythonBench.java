package org.ckpt4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/**
 * What Python users run instead: {@code torch.save}/{@code torch.load} of a state dict (with Adam state for the
 * MLP shape) and NumPy's {@code np.save}/{@code np.load} of one {@code .npy} per tensor, each in a child
 * {@code python3} process ({@code python_peer.py}, next to this class) that builds its state in memory and then
 * times itself, with the same durability as a ckpt4j commit (every file flushed and fsynced, then its
 * directory). ckpt4j saves and restores tensors of the same byte sizes into the same directory; the two sides
 * alternate who goes first within each repeat. Restores from the page cache are the median of
 * {@link LocalBench#PAGE_CACHE_SAMPLES} per repeat; from disk (as root) one per repeat after dropping the page
 * cache.
 */
final class PythonBench {
  private static final double MIB = 1 << 20;
  private static final String INSTALL_HINT = "install Debian's python3-torch and python3-numpy "
      + "(apt-get install python3-torch python3-numpy), or point -Dckpt4j.bench.python at a python3 that has them";

  private PythonBench() {}

  /** One shape: an MLP of {@code count} square layers of width {@code size} with Adam state, or flat tensors. */
  record Shape(String label, boolean mlp, int count, long size) {
    /** The byte sizes of every tensor, as both sides store them (float32). */
    List<Long> tensorBytes() {
      List<Long> bytes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        if (mlp) {
          for (int k = 0; k < 3; k++) { // parameters, Adam's first and second moments
            bytes.add(size * size * 4);
            bytes.add(size * 4);
          }
        } else {
          bytes.add(size);
        }
      }
      return bytes;
    }

    long total() {
      return tensorBytes().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** Runs both peers over every shape, or says why not (no python3 with torch/numpy). */
  static void run(List<Shape> shapes, int repeats, Path dir, Report report) throws IOException {
    String python = System.getProperty("ckpt4j.bench.python",
        Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
    Path script = Files.createDirectories(dir).resolve("python_peer.py");
    try (InputStream in = PythonBench.class.getResourceAsStream("python_peer.py")) {
      Files.write(script, in.readAllBytes());
    }
    for (String peer : List.of("torch", "numpy")) {
      String missing = check(python, peer.equals("torch") ? "torch" : "numpy");
      if (missing != null) {
        System.err.println("  python " + peer + ": not measured: " + missing + "; " + INSTALL_HINT);
        report.note("python " + peer + " rows not measured: " + missing);
        continue;
      }
      for (Shape shape : shapes) {
        run(python, script, peer, shape, repeats, dir, report);
      }
    }
  }

  private static void run(String python, Path script, String peer, Shape shape, int repeats, Path dir,
      Report report) throws IOException {
    List<ByteBuffer> tensors = tensors(shape.tensorBytes());
    List<ByteBuffer> into = new ArrayList<>();
    for (ByteBuffer t : tensors) {
      into.add(ByteBuffer.allocateDirect(t.capacity()));
    }
    boolean canDrop = PageCache.canDrop();
    Path peerDir = dir.resolve("python-" + peer + "-" + shape.label());
    Path storeDir = dir.resolve("store-python-" + peer + "-" + shape.label());
    Stats save = new Stats();
    Stats peerSave = new Stats();
    Stats restore = new Stats();
    Stats peerRestore = new Stats();
    Stats cold = new Stats();
    Stats peerCold = new Stats();
    try (CheckpointStore store = CheckpointStores.open(storeDir.toString(),
        StoreOptions.forOwner("bench-python-" + peer + "-" + shape.label()).build())) {
      for (int r = 0; r <= repeats; r++) { // repeat 0 is a warm-up, not counted
        boolean peerFirst = r % 2 == 0;
        double[] p = peerFirst ? peer(python, script, peer, peerDir, shape, canDrop) : null;
        double tSave = LocalBench.timeSave(store, tensors);
        Stats reads = new Stats();
        for (int k = 0; k < LocalBench.PAGE_CACHE_SAMPLES; k++) {
          reads.add(LocalBench.timeRestore(store, into));
        }
        double tCold = Double.NaN;
        if (canDrop) {
          PageCache.drop();
          tCold = LocalBench.timeRestore(store, into);
        }
        if (!peerFirst) {
          p = peer(python, script, peer, peerDir, shape, canDrop);
        }
        double mib = shape.total() / MIB;
        System.err.printf(Locale.ROOT, "  python %s %s %s: save %.0f MiB/s (%s %.0f), restore %.0f MiB/s (%s %.0f)"
            + "%s%n", peer, shape.label(), r == 0 ? "warm-up (not counted)" : "repeat " + r + "/" + repeats,
            mib / tSave, peer, mib / p[0], mib / reads.median(), peer, mib / p[1],
            canDrop ? String.format(Locale.ROOT, ", from disk %.0f MiB/s (%s %.0f)", mib / tCold, peer, mib / p[2])
                : "");
        if (r > 0) {
          save.add(mib / tSave);
          peerSave.add(mib / p[0]);
          restore.add(mib / reads.median());
          peerRestore.add(mib / p[1]);
          if (canDrop) {
            cold.add(mib / tCold);
            peerCold.add(mib / p[2]);
          }
        }
      }
      store.delete();
    }
    String saveName = peer.equals("torch") ? "torch.save + fsync" : "np.save + fsync each .npy";
    String loadName = peer.equals("torch") ? "torch.load" : "np.load each .npy";
    report.compare("vs " + peer + " save " + shape.label(), "MiB/s", save, saveName, peerSave, true, 1.0);
    // From the page cache the peer is not disk-bound: the goal there is 1.5x torch.load.
    report.compare("vs " + peer + " restore " + shape.label(), "MiB/s", restore, loadName + ", page cache",
        peerRestore, true, peer.equals("torch") ? 1.5 : 1.0);
    if (canDrop) {
      report.compare("vs " + peer + " restore " + shape.label() + " from disk", "MiB/s", cold,
          loadName + ", page cache dropped", peerCold, true, 1.0);
    }
  }

  /** One repeat of the peer: {save, median cached load, load from disk or NaN} in seconds. */
  private static double[] peer(String python, Path script, String peer, Path peerDir, Shape shape,
      boolean drop) throws IOException {
    String out = exec(List.of(python, script.toString(), peer, peerDir.toString(), shape.mlp() ? "mlp" : "flat",
        Integer.toString(shape.count()), Long.toString(shape.size()),
        Integer.toString(LocalBench.PAGE_CACHE_SAMPLES), drop ? "1" : "0"));
    double saveSeconds = field(out, "save");
    Stats cached = new Stats();
    Matcher m = Pattern.compile("\"load_cached\": \\[([^\\]]*)\\]").matcher(out);
    if (!m.find()) {
      throw new IOException("python peer printed no load_cached: " + out);
    }
    for (String v : m.group(1).split(",")) {
      cached.add(Double.parseDouble(v.trim()));
    }
    return new double[] {saveSeconds, cached.median(), drop ? field(out, "load_disk") : Double.NaN};
  }

  private static double field(String json, String name) throws IOException {
    Matcher m = Pattern.compile("\"" + name + "\": ([0-9.eE+-]+)").matcher(json);
    if (!m.find()) {
      throw new IOException("python peer printed no " + name + ": " + json);
    }
    return Double.parseDouble(m.group(1));
  }

  /** Null when {@code python} imports {@code module}, else what went wrong. */
  private static String check(String python, String module) {
    try {
      exec(List.of(python, "-c", "import " + module));
      return null;
    } catch (IOException e) {
      return python + " cannot import " + module + " (" + e.getMessage().lines().reduce((a, b) -> b).orElse("")
          + ")";
    }
  }

  private static String exec(List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putIfAbsent("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command.subList(0, Math.min(3, command.size()))) + " failed: "
            + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }

  private static List<ByteBuffer> tensors(List<Long> sizes) {
    SplittableRandom random = new SplittableRandom(42);
    List<ByteBuffer> tensors = new ArrayList<>();
    for (long size : sizes) {
      ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(size));
      while (b.remaining() >= 8) {
        b.putLong(random.nextLong());
      }
      while (b.hasRemaining()) {
        b.put((byte) random.nextInt());
      }
      b.flip();
      tensors.add(b);
    }
    return tensors;
  }
}
