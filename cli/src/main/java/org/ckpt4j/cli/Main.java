package org.ckpt4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.resume.PreemptedException;
import org.ckpt4j.resume.RunMismatchException;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.Callback;
import org.ckpt4j.trainer.ExampleTask;
import org.ckpt4j.trainer.History;
import org.ckpt4j.trainer.NonFiniteLossException;
import org.ckpt4j.trainer.Sequential;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The command line. {@code fit} trains a small MLP on a generated dataset with {@link BackupAndRestore}, and can
 * simulate a crash to show an exact resume. Ends with {@code epochs_run=N weights_sha256=<hex>} on a line of its
 * own. Exit codes: 0 done, 2 bad arguments, 3 simulated interruption (resumable), 1 any other failure.
 * {@code export} writes a backup's blobs as plain files ({@link Export}).
 */
public final class Main {
  static final int EXIT_USAGE = 2;
  static final int EXIT_INTERRUPTED = 3;
  static final int FEATURES = ExampleTask.FEATURES;
  static final int CLASSES = ExampleTask.CLASSES;

  private static final String USAGE = String.join("\n",
      "usage: " + "%COMMAND%" + " fit [options]",
      "",
      "Trains a small MLP (20 > 32 relu > 16 tanh > 3 softmax, Adam, sparse categorical cross-entropy) on a",
      "generated dataset, backing up to --backup-dir and resuming from it exactly (bit-identical weights).",
      "",
      "options (numbers are whole numbers in the range shown; anything else exits 2 before any work):",
      "  --backup-dir URI          backup dir: a path, file:///..., s3://bucket/prefix, gs://bucket/prefix",
      "                            (default: ./ckpt4j-backup; a leading ~/ is the home directory)",
      "  --epochs N                epochs to train in all, counting those of a resumed run (0..1000000, default 10)",
      "  --batch-size N            samples per step (1..1000000, default 8)",
      "  --save-freq epoch|N|never back up every epoch (default), every N batches (1..2147483647), or never",
      "  --seed S                  seed of the weights, the shuffling and the dataset (any 64-bit integer,",
      "                            default 42)",
      "  --samples N               size of the generated dataset (1..1000000, default 256)",
      "  --interrupt-at-epoch K    simulate a crash at the start of epoch K (0..1000000, 0-based)",
      "  --interrupt-at-batch K    simulate a crash before global batch K (0..1000000000000, 0-based, counted",
      "                            over all epochs)",
      "  --keep-previous           keep the previous backup as a fallback if the latest is unreadable",
      "  --no-delete               keep the backup when training completes",
      "  --async-save              write backups on a background thread while training goes on",
      "  --lease-timeout-ms N      how long a crashed run's claim blocks a restart (100..3600000, default 10000)",
      "  --store-property K=V      a backend setting (repeatable), e.g. s3.endpoint=http://127.0.0.1:9000,",
      "                            s3.region=eu-west-1, gs.host=http://127.0.0.1:4443 (see the backends' READMEs)",
      "  --quiet                   print only the last line (and errors)",
      "  --workers N [--master URL] [--fail-worker R --fail-at-batch K]",
      "                            data-parallel training on N workers (Spark; needs the multi-worker part,",
      "                            lib/multiworker/): see fit --workers 2 --help",
      "  --help                    this text; --version: the version",
      "",
      "Bit-exact results need fixed numerics: run with OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell.",
      "Prints 'epochs_run=N weights_sha256=HEX' at the end. Exit codes: 0 done, 1 failure, 2 bad arguments,",
      "3 interrupted (rerun without --interrupt-at-* to resume), 143 stopped by SIGTERM and 130 by SIGINT",
      "(Ctrl-C) after finishing the batch and saving it: rerun the printed command to resume. A second signal",
      "aborts at once (the backup dir is released; the last save stays).",
      "",
      "%COMMAND%" + " export --backup-dir URI --to DIR [--previous]",
      "  writes a backup's manifest.json and .npy files into DIR (see export --help).",
      "%COMMAND%" + " inspect --backup-dir URI [--json]",
      "  prints the latest and the kept previous checkpoint: position, tensors, callbacks, holder (read-only).",
      "%COMMAND%" + " verify --backup-dir URI",
      "  reads and verifies every blob of the latest and previous checkpoint; exit 0 if all are intact.");

  /** The ranges of the numeric options, checked before any work: {min, max}. */
  static final Map<String, long[]> RANGES = Map.of(
      "--epochs", new long[] {0, 1_000_000},
      "--batch-size", new long[] {1, 1_000_000},
      "--samples", new long[] {1, 1_000_000},
      "--interrupt-at-epoch", new long[] {0, 1_000_000},
      "--interrupt-at-batch", new long[] {0, 1_000_000_000_000L},
      "--lease-timeout-ms", new long[] {100, 3_600_000});

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command; returns the exit code. */
  static int run(String[] args, PrintStream rawOut, PrintStream rawErr) {
    PrintStream out = RedactingPrintStream.wrap(rawOut);
    PrintStream err = RedactingPrintStream.wrap(rawErr);
    quietLogs(java.util.Arrays.asList(args).contains("--quiet"));
    if (args.length > 0 && (args[0].equals("--version") || args[0].equals("version"))) {
      out.println("ckpt4j " + version());
      return 0;
    }
    if (args.length > 0 && args[0].equals("export")) {
      return Export.run(args, out, err);
    }
    if (args.length > 0 && (args[0].equals("inspect") || args[0].equals("verify"))) {
      return Inspect.run(args, out, err);
    }
    if (MultiWorker.requested(args)) {
      return MultiWorker.run(args, out, err);
    }
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("run with --help for usage");
      return EXIT_USAGE;
    }
    if (o == null) {
      out.println(USAGE.replace("%COMMAND%", name()));
      return 0;
    }
    if (System.getenv("OMP_NUM_THREADS") == null || System.getenv("OPENBLAS_CORETYPE") == null) {
      err.println("warning: OMP_NUM_THREADS and OPENBLAS_CORETYPE are not both set; results are reproducible only "
          + "with the same thread count and BLAS kernel (e.g. OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell)");
    }
    BackupAndRestore.Builder bb = BackupAndRestore.builder(o.backupDir).saveFreq(o.saveFreq)
        .keepPrevious(o.keepPrevious).deleteCheckpoint(!o.noDelete).asyncSave(o.asyncSave)
        .saveBeforePreemption(true);
    if (o.leaseTimeoutMs > 0) {
      bb.leaseTimeout(Duration.ofMillis(o.leaseTimeoutMs));
    }
    o.storeProperties.forEach(bb::storeProperty);
    BackupAndRestore backup = bb.build();
    try {
      INDArray[] data = dataset(o.samples, o.seed);
      Sequential model = model(o.seed);
      List<Callback> callbacks = new ArrayList<>();
      callbacks.add(backup);
      if (o.interruptAtEpoch >= 0 || o.interruptAtBatch >= 0) {
        callbacks.add(new Interrupt(o.interruptAtEpoch, o.interruptAtBatch));
      }
      History h = model.fit(data[0], data[1], o.epochs, o.batchSize, true, callbacks, o.quiet ? null : out);
      Checkpoint restored = backup.restoredCheckpoint().orElse(null);
      if (restored != null && !o.quiet) {
        out.println("resumed from backup #" + restored.sequence() + " in " + o.backupDir + ": "
            + restored.metadata().get("epoch") + " epochs and " + restored.metadata().get("batch")
            + " batches done before it");
      }
      if (backup.keptUntrained()) {
        out.println("nothing trained: the backup in " + o.backupDir + " already has " + restored.metadata()
            .get("epoch") + " epochs done and --epochs is " + o.epochs + "; the backup is kept (not deleted). Rerun "
            + "with a larger --epochs to continue training");
      }
      if (!o.noDelete && !backup.keptUntrained()) {
        removeIfEmptyLocalDir(o.backupDir);
      }
      out.println("epochs_run=" + h.epochs().size() + " weights_sha256=" + model.weightsSha256());
      return 0;
    } catch (PreemptedException e) {
      err.println(e.getMessage() + ".");
      printResumeHint(err, o, "--interrupt-at-epoch/--interrupt-at-batch");
      return e.exitStatus();
    } catch (SimulatedCrash e) {
      err.println("interrupted: " + e.getMessage() + ".");
      printResumeHint(err, o, "--interrupt-at-epoch/--interrupt-at-batch");
      return EXIT_INTERRUPTED;
    } catch (RunMismatchException e) {
      err.println("error: --backup-dir " + o.backupDir + " holds another run's backup; differing: "
          + e.differingFields() + "\n  " + e.getMessage());
      return 1;
    } catch (CheckpointStoreException e) {
      err.println("error: --backup-dir " + o.backupDir + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return 1;
    } catch (NonFiniteLossException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("error: " + e);
      return 1;
    }
  }

  /**
   * Says which checkpoint a rerun resumes from and prints the command that resumes it, shell-quoted, with an
   * absolute backup dir; for a store that does not outlive this process ({@code mem:}) says that a rerun starts
   * over instead of printing a command that would silently do so.
   */
  static void printResumeHint(PrintStream err, Options o, String flags) {
    String dropped = o.interruptAtEpoch < 0 && o.interruptAtBatch < 0 ? "" : " without " + flags;
    String where = o.backupDir;
    try (CheckpointStore s = CheckpointStores.open(o.backupDir, StoreOptions.readOnly().build())) {
      where = s.uri().toString();
      if (!s.capabilities().contains(Capability.CROSS_PROCESS)) {
        err.println("The backup in " + where + " lived in this process's memory and is gone with it: a rerun "
            + "starts over.");
        return;
      }
      Optional<Checkpoint> cp = Retry.onLatest(s, false, c -> c);
      if (cp.isEmpty()) {
        err.println("No backup was written to " + where + " yet: a rerun starts from scratch:");
      } else {
        Map<String, String> m = cp.get().metadata();
        err.println("The backup in " + where + " holds checkpoint #" + cp.get().sequence() + " ("
            + m.getOrDefault("epoch", "?") + " epochs and " + m.getOrDefault("batch", "?") + " batches done, step "
            + m.getOrDefault("globalStep", "?") + "). Resume from it with the same command" + dropped
            + ":");
      }
    } catch (IOException | RuntimeException e) {
      err.println("Resume with the same command" + dropped + ":");
    }
    List<String> words = new ArrayList<>();
    for (String a : o.withoutInterrupt(true)) {
      words.add(shellQuote(a.matches("(?i)[^=]*(secret|key|token|password|credential)[^=]*=.*")
          ? a.substring(0, a.indexOf('=') + 1) + "***" : a));
    }
    err.println("  " + command() + " " + String.join(" ", words));
    if (!org.ckpt4j.spi.Redaction.redact(o.backupDir).equals(o.backupDir)) {
      err.println("(credentials in --backup-dir are shown as ***: put them back, or better, give them to the "
          + "backend through its usual environment variables or files)");
    }
  }

  /**
   * How to run this program again, for hints: what a launcher names itself ({@code -Dckpt4j.command}, as
   * {@code bin/ckpt4j} does), else {@code java -cp} with this JVM's class path.
   */
  static String command() {
    String launcher = System.getProperty("ckpt4j.command");
    if (launcher != null && !launcher.isBlank()) {
      return shellQuote(launcher);
    }
    return "java -cp " + shellQuote(System.getProperty("java.class.path")) + " " + Main.class.getName();
  }

  /** This program's name in usage texts: the launcher's, or {@code java org.ckpt4j.cli.Main}. */
  static String name() {
    String c = command();
    return c.startsWith("java -cp ") ? "java " + Main.class.getName() : c;
  }

  /** A word a POSIX shell reads back as {@code s}: as is if plainly safe, else in single quotes. */
  static String shellQuote(String s) {
    if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=@%+,-]+") && !s.startsWith("~")) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /**
   * ND4J logs a dozen INFO lines (its banner) at start-up: keep warnings only, and ckpt4j's own INFO unless
   * {@code --quiet}, which leaves the last line and errors.
   */
  private static void quietLogs(boolean quiet) {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    setIfAbsent("org.slf4j.simpleLogger.log.org.ckpt4j", quiet ? "warn" : "info");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  /** A completed run deleted its backup: a local backup dir left empty goes too (nothing else is touched). */
  static void removeIfEmptyLocalDir(String backupDir) {
    try {
      java.net.URI uri = CheckpointStores.toUri(backupDir);
      if (!"file".equalsIgnoreCase(uri.getScheme())) {
        return;
      }
      java.nio.file.Path dir = java.nio.file.Path.of(uri);
      try (java.util.stream.Stream<java.nio.file.Path> entries = java.nio.file.Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          return;
        }
      }
      java.nio.file.Files.delete(dir);
    } catch (IOException | RuntimeException e) {
      // best effort: an empty dir left behind is harmless
    }
  }

  /** This distribution's version (the jar's Implementation-Version). */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "(unknown: not run from the ckpt4j-cli jar)" : v;
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** The example task's model ({@link ExampleTask#model}). */
  static Sequential model(long seed) {
    return ExampleTask.model(seed);
  }

  /** The example task's dataset ({@link ExampleTask#dataset}): {x [n, 20], y [n]}. */
  static INDArray[] dataset(int samples, long seed) {
    return ExampleTask.dataset(samples, seed);
  }

  /** The simulated crash of --interrupt-at-*. */
  static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(String message) {
      super(message);
    }
  }

  /** Throws {@link SimulatedCrash} at the start of an epoch or before a global batch (optimizer step). */
  static final class Interrupt implements Callback {
    private final int atEpoch;
    private final long atBatch;
    private Sequential model;

    Interrupt(int atEpoch, long atBatch) {
      this.atEpoch = atEpoch;
      this.atBatch = atBatch;
    }

    @Override
    public void onTrainBegin(Sequential m) {
      this.model = m;
    }

    @Override
    public void onEpochBegin(int epoch) {
      if (epoch == atEpoch) {
        throw new SimulatedCrash("simulated crash at the start of Epoch " + (epoch + 1) + " (--interrupt-at-epoch "
            + epoch + " counts from 0)");
      }
    }

    @Override
    public void onBatchBegin(int epoch, int batch) {
      if (model.optimizerSteps() == atBatch) {
        throw new SimulatedCrash("simulated crash before step " + (atBatch + 1) + " (Epoch " + (epoch + 1)
            + ", after batch " + batch + "; --interrupt-at-batch " + atBatch + " counts from 0)");
      }
    }
  }

  /** Parsed command line. */
  static final class Options {
    String backupDir = "ckpt4j-backup";
    int epochs = 10;
    int batchSize = 8;
    BackupAndRestore.SaveFreq saveFreq = BackupAndRestore.SaveFreq.EPOCH;
    long seed = 42;
    int samples = 256;
    int interruptAtEpoch = -1;
    long interruptAtBatch = -1;
    boolean keepPrevious;
    boolean noDelete;
    boolean asyncSave;
    boolean quiet;
    long leaseTimeoutMs = -1;
    final Map<String, String> storeProperties = new java.util.LinkedHashMap<>();
    final List<String> args = new ArrayList<>();

    /** Returns null for --help. @throws IllegalArgumentException naming the bad argument */
    static Options parse(String[] argv) {
      Options o = new Options();
      if (argv.length == 0) {
        throw new IllegalArgumentException("missing command: fit, export, inspect or verify (or --help, --version)");
      }
      if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
        return null;
      }
      if (!argv[0].equals("fit")) {
        throw new IllegalArgumentException("unknown command \"" + argv[0] + "\": the commands are fit, export, inspect and verify");
      }
      o.args.add("fit");
      for (int k = 1; k < argv.length; k++) {
        String a = argv[k];
        switch (a) {
          case "--help": case "-h": return null;
          case "--keep-previous": o.keepPrevious = true; o.args.add(a); continue;
          case "--no-delete": o.noDelete = true; o.args.add(a); continue;
          case "--async-save": o.asyncSave = true; o.args.add(a); continue;
          case "--quiet": o.quiet = true; o.args.add(a); continue;
          default: break;
        }
        String name = a;
        String value;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
          name = a.substring(0, eq);
          value = a.substring(eq + 1);
        } else {
          if (k + 1 >= argv.length) {
            throw new IllegalArgumentException(a.startsWith("--") ? a + " needs a value" : "unexpected argument \"" + a + "\"");
          }
          value = argv[++k];
        }
        o.set(name, value);
        o.args.add(name);
        o.args.add(value);
      }
      return o;
    }

    private void set(String name, String value) {
      switch (name) {
        case "--backup-dir":
          backupDir = backupDir(value);
          break;
        case "--epochs": epochs = (int) number(name, value); break;
        case "--batch-size": batchSize = (int) number(name, value); break;
        case "--samples": samples = (int) number(name, value); break;
        case "--save-freq":
          try {
            saveFreq = BackupAndRestore.SaveFreq.parse(value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--save-freq \"" + value + "\" must be 'epoch', 'never' or a positive "
                + "number of batches");
          }
          break;
        case "--seed":
          try {
            seed = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed \"" + value + "\" must be a whole number");
          }
          break;
        case "--interrupt-at-epoch": interruptAtEpoch = (int) number(name, value); break;
        case "--interrupt-at-batch": interruptAtBatch = number(name, value); break;
        case "--lease-timeout-ms": leaseTimeoutMs = number(name, value); break;
        case "--store-property": storeProperty(storeProperties, value); break;
        default: throw new IllegalArgumentException("unknown option " + name);
      }
    }

    private static long number(String name, String value) {
      long[] range = RANGES.get(name);
      try {
        long n = Long.parseLong(value.trim());
        if (n >= range[0] && n <= range[1]) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(name + " \"" + abbreviate(value) + "\" must be a whole number in "
          + range[0] + ".." + range[1]);
    }

    /** Adds a {@code --store-property key=value}. @throws IllegalArgumentException naming the flag */
    static void storeProperty(Map<String, String> into, String value) {
      int eq = value.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("--store-property must be key=value, e.g. s3.endpoint=http://127.0.0.1:9000");
      }
      into.put(value.substring(0, eq).trim(), value.substring(eq + 1));
    }

    /**
     * Checks a --backup-dir: not empty, a well-formed URI if it has a scheme, {@code ~/} expanded (a shell does
     * not expand it after {@code --backup-dir=}). The value is not echoed: a URI may hold credentials.
     */
    static String backupDir(String value) {
      if (value.isBlank()) {
        throw new IllegalArgumentException("--backup-dir must not be empty");
      }
      if (value.equals("~") || value.startsWith("~/")) {
        return System.getProperty("user.home") + value.substring(1);
      }
      if (value.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
        try {
          new java.net.URI(value);
        } catch (java.net.URISyntaxException e) {
          throw new IllegalArgumentException("--backup-dir is not a well-formed URI: " + e.getReason() + " at index "
              + e.getIndex() + " (percent-encode special characters, e.g. a space as %20)");
        }
      }
      return value;
    }

    /** The arguments without --interrupt-at-*; with {@code absolute}, a relative backup dir made absolute. */
    List<String> withoutInterrupt(boolean absolute) {
      List<String> l = new ArrayList<>();
      for (int k = 0; k < args.size(); k++) {
        if (args.get(k).startsWith("--interrupt-at-")) {
          k++;
          continue;
        }
        if (absolute && args.get(k).equals("--backup-dir") && !backupDir.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
          l.add(args.get(k++));
          l.add(java.nio.file.Path.of(backupDir).toAbsolutePath().normalize().toString());
          continue;
        }
        l.add(args.get(k));
      }
      if (absolute && !l.contains("--backup-dir")) {
        l.add(1, java.nio.file.Path.of(backupDir).toAbsolutePath().normalize().toString());
        l.add(1, "--backup-dir");
      }
      return l;
    }
  }
}
