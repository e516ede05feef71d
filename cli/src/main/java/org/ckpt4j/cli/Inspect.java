package org.ckpt4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.trainer.TrainingCheckpoint;

/**
 * The {@code inspect} and {@code verify} commands. Both open the backup dir read-only (they never write and
 * never claim it, so they work while a run trains into it, retrying on the new latest when a commit supersedes
 * what they read: {@link Retry}).
 *
 * <ul>
 *   <li>{@code inspect} prints the latest and the kept previous checkpoint: number, commit time, the run's
 *       identity (the owner fingerprint: model, optimizer, loss, seed, batch size, data), the training position,
 *       every tensor's dtype, shape and size, the callbacks' state keys, and who holds the backup dir (pid,
 *       host, lease age and timeout, or free: {@link CheckpointStore#holder()}). With {@code --json}, the same as
 *       one JSON object.</li>
 *   <li>{@code verify} reads every blob of both (sizes and CRC32s checked by the store) and checks each manifest
 *       as a resume would; exit 0 if all are intact, 1 naming what failed.</li>
 * </ul>
 */
final class Inspect {
  static final String USAGE = String.join("\n",
      "usage: %COMMAND% inspect --backup-dir URI [--json] [--store-property K=V ...]",
      "       %COMMAND% verify --backup-dir URI [--store-property K=V ...]",
      "",
      "inspect prints the latest and the kept previous checkpoint of a backup dir: number, commit time, the",
      "run's identity, the training position (epochs and batches done; epochs shown to people 1-based), every",
      "tensor's dtype, shape and size, the callbacks' state keys, and who holds the backup dir (pid, host,",
      "lease age) or that it is free; --json prints the same for a script.",
      "verify reads and verifies every blob of both (sizes, CRC32s, manifest fields): exit 0 if all are intact,",
      "1 naming what failed (also when the backup dir holds no checkpoint). Both are read-only: they never",
      "claim the backup dir and work while a run trains into it.");

  private Inspect() {}

  static int run(String[] argv, PrintStream out, PrintStream err) {
    boolean verify = argv[0].equals("verify");
    String backupDir = null;
    boolean json = false;
    Map<String, String> properties = new LinkedHashMap<>();
    try {
      for (int k = 1; k < argv.length; k++) {
        String a = argv[k];
        if (a.equals("--help") || a.equals("-h")) {
          out.println(USAGE.replace("%COMMAND%", Main.name()));
          return 0;
        }
        if (a.equals("--json") && !verify) {
          json = true;
          continue;
        }
        String name = a;
        String value;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
          name = a.substring(0, eq);
          value = a.substring(eq + 1);
        } else if (k + 1 < argv.length && (a.equals("--backup-dir") || a.equals("--store-property"))) {
          value = argv[++k];
        } else {
          throw new IllegalArgumentException(a.equals("--backup-dir") || a.equals("--store-property")
              ? a + " needs a value" : "unknown option \"" + a + "\" of " + argv[0]);
        }
        if (name.equals("--backup-dir")) {
          backupDir = Main.Options.backupDir(value);
        } else if (name.equals("--store-property")) {
          Main.Options.storeProperty(properties, value);
        } else {
          throw new IllegalArgumentException("unknown option \"" + name + "\" of " + argv[0]);
        }
      }
      if (backupDir == null) {
        throw new IllegalArgumentException(argv[0] + " needs --backup-dir URI");
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("run with " + argv[0] + " --help for usage");
      return Main.EXIT_USAGE;
    }
    StoreOptions.Builder options = StoreOptions.readOnly();
    properties.forEach(options::property);
    try (CheckpointStore store = CheckpointStores.open(backupDir, options.build())) {
      return verify ? verify(store, out, err) : inspect(store, json, out);
    } catch (CheckpointStoreException e) {
      err.println("error: --backup-dir " + backupDir + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("error: " + e);
      return 1;
    }
  }

  /** One checkpoint as inspect shows it; {@code manifest} empty with {@code problem} if unreadable. */
  private record Shown(Checkpoint cp, Optional<TrainingCheckpoint> manifest, String problem) {}

  private static Optional<Shown> show(CheckpointStore store, boolean previous) throws IOException {
    if (previous) {
      return previous(ignored -> show(store, false, true));
    }
    return show(store, false, false);
  }

  /**
   * A previous checkpoint whose data a commit already removed is not kept (a store without keepPrevious may
   * still name one: issue 17 item 12): none, instead of an error after every retry.
   */
  static <T> Optional<T> previous(Retry.Read<Optional<T>> read) throws IOException {
    try {
      return read.apply(null);
    } catch (org.ckpt4j.spi.SupersededCheckpointException e) {
      return Optional.empty();
    }
  }

  private static Optional<Shown> show(CheckpointStore store, boolean unused, boolean previous) throws IOException {
    return Retry.onLatest(store, previous, cp -> {
      try {
        return new Shown(cp, Optional.of(TrainingCheckpoint.read(cp, store.uri())), null);
      } catch (org.ckpt4j.spi.CorruptCheckpointException e) {
        return new Shown(cp, Optional.empty(), e.getMessage());
      }
    });
  }

  private static int inspect(CheckpointStore store, boolean json, PrintStream out) throws IOException {
    Optional<Shown> latest = show(store, false);
    Optional<Shown> previous = latest.isPresent() ? show(store, true) : Optional.empty();
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("backupDir", org.ckpt4j.spi.Redaction.redact(store.uri()));
      o.put("holder", holderJson(store));
      o.put("latest", latest.map(Inspect::json).orElse(null));
      o.put("previous", previous.map(Inspect::json).orElse(null));
      out.println(JsonText.write(o));
      return 0;
    }
    out.println("backup dir " + store.uri());
    out.println("  held by: " + holderText(store));
    if (latest.isEmpty()) {
      out.println("  no checkpoint");
      return 0;
    }
    print(out, "latest", latest.get());
    if (previous.isPresent()) {
      print(out, "previous (kept)", previous.get());
    } else {
      out.println("previous: none kept");
    }
    return 0;
  }

  /** Who holds the backup dir, for people: pid and host, lease age and timeout; or free. */
  static String holderText(CheckpointStore store) throws IOException {
    Optional<org.ckpt4j.spi.BackupDirHolder> h = store.holder();
    if (h.isEmpty()) {
      return "nobody (free)";
    }
    org.ckpt4j.spi.BackupDirHolder x = h.get();
    return "pid " + x.pid() + " on " + x.host() + " (claim #" + x.claim() + ")" + x.leaseAge(java.time.Instant.now())
        .map(a -> ", lease renewed " + a.toMillis() + " ms ago").orElse("") + ", lease timeout "
        + x.leaseTimeout().toMillis() + " ms";
  }

  private static Object holderJson(CheckpointStore store) throws IOException {
    Optional<org.ckpt4j.spi.BackupDirHolder> h = store.holder();
    if (h.isEmpty()) {
      return "free";
    }
    org.ckpt4j.spi.BackupDirHolder x = h.get();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("pid", x.pid());
    o.put("host", x.host());
    o.put("claim", x.claim());
    o.put("leaseRenewedAt", x.leaseRenewedAt() == null ? null : x.leaseRenewedAt().toString());
    o.put("leaseTimeoutMs", x.leaseTimeout().toMillis());
    return o;
  }

  private static void print(PrintStream out, String label, Shown s) {
    Checkpoint cp = s.cp();
    out.println(label + ": checkpoint #" + cp.sequence() + ", committed " + cp.committedAt());
    if (s.manifest().isEmpty()) {
      out.println("  unreadable manifest: " + s.problem());
      return;
    }
    TrainingCheckpoint t = s.manifest().get();
    out.println("  position: " + position(t));
    out.println("  run (owner fingerprint):");
    t.fingerprint().forEach((k, v) -> out.println("    " + k + ": " + v));
    out.println("  optimizer: " + t.optimizer() + ", step " + t.optimizerStep() + ", learning rate "
        + t.learningRate());
    out.println("  tensors (" + t.tensors().size() + "):");
    t.tensors().forEach((n, x) -> out.println("    " + n + "  " + x.dtype() + " " + java.util.Arrays.toString(
        x.shape()) + "  " + x.bytes() + " bytes"));
    out.println("  callback state: " + (t.callbackKeys().isEmpty() ? "none" : String.join(", ",
        t.callbackKeys())));
  }

  /** The position for people: 1-based epoch and batch of what was last done. */
  static String position(TrainingCheckpoint t) {
    if (t.withinEpoch()) {
      return "epoch " + (t.epoch() + 1) + ", after batch " + t.batch() + " of " + t.batchesPerEpoch() + " (step "
          + t.globalStep() + "; " + t.epoch() + " epochs done before it)";
    }
    return "after epoch " + t.epoch() + " (" + t.epoch() + " epochs done, step " + t.globalStep()
        + "); a resume starts epoch " + (t.epoch() + 1);
  }

  private static Map<String, Object> json(Shown s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("sequence", s.cp().sequence());
    o.put("committedAt", s.cp().committedAt().toString());
    if (s.manifest().isEmpty()) {
      o.put("error", s.problem());
      return o;
    }
    TrainingCheckpoint t = s.manifest().get();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("epochsDone", t.epoch());
    p.put("batchesDoneInEpoch", t.batch());
    p.put("withinEpoch", t.withinEpoch());
    p.put("globalStep", t.globalStep());
    p.put("batchesPerEpoch", t.batchesPerEpoch());
    o.put("position", p);
    o.put("owner", t.owner());
    o.put("fingerprint", t.fingerprint());
    Map<String, Object> opt = new LinkedHashMap<>();
    opt.put("config", t.optimizer());
    opt.put("step", t.optimizerStep());
    opt.put("learningRate", t.learningRate());
    o.put("optimizer", opt);
    Map<String, Object> tensors = new LinkedHashMap<>();
    t.tensors().forEach((n, x) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("dtype", x.dtype());
      List<Object> shape = new ArrayList<>();
      for (long d : x.shape()) {
        shape.add(d);
      }
      e.put("shape", shape);
      e.put("bytes", x.bytes());
      tensors.put(n, e);
    });
    o.put("tensors", tensors);
    o.put("callbacks", new ArrayList<>(t.callbackKeys()));
    return o;
  }

  private static int verify(CheckpointStore store, PrintStream out, PrintStream err) throws IOException {
    List<String> failed = new ArrayList<>();
    int checked = 0;
    for (boolean previous : new boolean[] {false, true}) {
      String label = previous ? "previous" : "latest";
      Optional<String> result;
      try {
        Retry.Read<Optional<String>> read = ignored -> Retry.onLatest(store, previous, cp -> {
          ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
          long[] bytes = {0};
          cp.readBlobs(cp.blobs().keySet(), (name, ch) -> {
            int n;
            while ((n = ch.read(sink.clear())) >= 0) {
              bytes[0] += n;
            }
          });
          TrainingCheckpoint.read(cp, store.uri());
          return "checkpoint #" + cp.sequence() + ": " + cp.blobs().size() + " blobs, " + bytes[0]
              + " bytes, all verified";
        });
        result = previous ? previous(read) : read.apply(null);
      } catch (org.ckpt4j.spi.CorruptCheckpointException e) {
        failed.add(label + ": " + e.getMessage());
        err.println(label + ": FAILED: " + e.getMessage());
        checked++;
        continue;
      }
      if (result.isPresent()) {
        out.println(label + ": " + result.get());
        checked++;
      } else if (!previous) {
        err.println("error: " + store.uri() + " holds no checkpoint to verify");
        return 1;
      }
    }
    if (!failed.isEmpty()) {
      err.println("verify: " + failed.size() + " of " + checked + " checkpoints failed");
      return 1;
    }
    out.println("verify: OK (" + checked + " checkpoint" + (checked == 1 ? "" : "s") + ")");
    return 0;
  }
}
