package org.ckpt4j.spark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The command line of multi-worker training: {@code fit} with the trainer CLI's arguments plus
 * {@code --workers N [--master URL] [--fail-worker R --fail-at-batch K]}. Every worker trains the trainer CLI's
 * model on its slice of each global batch of {@code --batch-size}; the chief (worker 0) writes the backups; when
 * a worker fails, Spark restarts all of them and they restore from the backup. Without {@code --master} (and
 * outside {@code spark-submit}) it starts an embedded {@code local[N]} Spark bound to 127.0.0.1.
 *
 * <p>Prints {@code stage_attempts=A} (how many times the workers' stage ran; 1 = no failure), then
 * {@code epochs_run=N weights_sha256=<hex>}: the epochs the finishing attempt ran and the hash of the final
 * weights. Exit codes: 0 done, 1 failure (e.g. the attempts ran out), 2 bad arguments.
 */
public final class MultiWorkerFit {
  static final int EXIT_USAGE = 2;

  private static final String USAGE = String.join("\n",
      "usage: fit --workers N [--master URL] [fit options] [--fail-worker R --fail-at-batch K]",
      "",
      "Data-parallel training of the trainer CLI's model on N workers (Spark barrier tasks joined by a TCP ring):",
      "--batch-size is the global batch; worker 0 backs up to --backup-dir; a failed worker restarts all of them",
      "from the last backup, ending bit-identical to an uninterrupted N-worker run.",
      "",
      "options (as the trainer's fit):",
      "  --backup-dir URI          s3://..., gs://... or a directory every worker sees (mem: is refused)",
      "  --epochs N                (default 10)     --batch-size N   global batch (default 8)",
      "  --save-freq epoch|N|never (default epoch)  --seed S         (default 42)",
      "  --samples N               (default 256)    --keep-previous  --no-delete  --async-save",
      "  --lease-timeout-ms N      --quiet (accepted; workers print no progress bar)",
      "multi-worker options:",
      "  --workers N               number of workers (default 2)",
      "  --master URL              Spark master (default: embedded local[N] on 127.0.0.1, or spark-submit's)",
      "  --max-attempts N          attempts of the workers' stage, embedded Spark only (default 4; under",
      "                            spark-submit set spark.stage.maxConsecutiveAttempts)",
      "  --read-timeout-ms N       a worker silent this long fails the attempt (default 120000)",
      "  --connect-timeout-ms N    how long the workers wait for each other at the start (default 60000)",
      "  --conf KEY=VALUE          a Spark setting (repeatable)",
      "  --fail-worker R --fail-at-batch K   throw in worker R before global batch K, first attempt only",
      "",
      "Prints 'stage_attempts=A' then 'epochs_run=N weights_sha256=HEX'. Exit: 0 done, 1 failure, 2 bad arguments.");

  private MultiWorkerFit() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs {@code fit --workers ...}; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    // before anything logs (log4j configures itself once); spark-submit brings its own configuration
    if (System.getProperty("spark.master") == null && System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "ckpt4j-spark-log4j2.properties");
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
      out.println(USAGE);
      return 0;
    }
    try {
      TrainingJob.checkBackupDir(o.job.backupDir, o.master);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return EXIT_USAGE;
    }
    boolean submitted = o.master == null && System.getProperty("spark.master") != null;
    SparkConf conf;
    if (submitted) {
      conf = new SparkConf(); // spark-submit's settings
    } else {
      conf = SparkTraining.embeddedConf(o.workers, o.maxAttempts);
      if (o.master != null) {
        conf.setMaster(o.master);
      }
    }
    for (String[] kv : o.conf) {
      conf.set(kv[0], kv[1]);
    }
    JavaSparkContext sc = new JavaSparkContext(conf);
    try {
      SparkTraining.Outcome r = SparkTraining.run(sc, o.job, o.workers);
      TrainingJob.Result chief = r.results().get(0);
      if (chief.restoredSequence() >= 0) {
        out.println("resumed from backup #" + chief.restoredSequence() + " in " + o.job.backupDir + " at "
            + chief.restoredAt());
      }
      out.println("stage_attempts=" + r.attempts());
      out.println("epochs_run=" + chief.epochsRun() + " weights_sha256=" + chief.weightsSha256());
      return 0;
    } catch (Exception e) {
      err.println("error: the workers failed: " + e.getMessage());
      return 1;
    } finally {
      sc.stop();
    }
  }

  /** Parsed command line. */
  static final class Options {
    final TrainingJob job = new TrainingJob();
    int workers = 2;
    boolean workersGiven;
    String master;
    int maxAttempts = 4;
    /** Extra Spark settings ({@code --conf key=value}), applied last. */
    final List<String[]> conf = new ArrayList<>();

    /** Returns null for --help. @throws IllegalArgumentException naming the bad argument */
    static Options parse(String[] argv) {
      Options o = new Options();
      if (argv.length == 0) {
        throw new IllegalArgumentException("missing command: fit (or --help)");
      }
      if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
        return null;
      }
      if (!argv[0].equals("fit")) {
        throw new IllegalArgumentException("unknown command \"" + argv[0] + "\": the command is fit");
      }
      for (int k = 1; k < argv.length; k++) {
        String a = argv[k];
        switch (a) {
          case "--help": case "-h": return null;
          case "--keep-previous": o.job.keepPrevious = true; continue;
          case "--no-delete": o.job.noDelete = true; continue;
          case "--async-save": o.job.asyncSave = true; continue;
          case "--quiet": continue;
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
            throw new IllegalArgumentException(a.startsWith("--") ? a + " needs a value"
                : "unexpected argument \"" + a + "\"");
          }
          value = argv[++k];
        }
        o.set(name, value);
      }
      if ((o.job.failWorker >= 0) != (o.job.failAtBatch >= 0)) {
        throw new IllegalArgumentException("--fail-worker and --fail-at-batch go together");
      }
      if (o.job.failWorker >= o.workers) {
        throw new IllegalArgumentException("--fail-worker " + o.job.failWorker + " must be below --workers "
            + o.workers);
      }
      return o;
    }

    private void set(String name, String value) {
      switch (name) {
        case "--backup-dir":
          if (value.isBlank()) {
            throw new IllegalArgumentException("--backup-dir must not be empty");
          }
          job.backupDir = value;
          break;
        case "--epochs": job.epochs = (int) number(name, value, 0); break;
        case "--batch-size": job.batchSize = (int) number(name, value, 1); break;
        case "--samples": job.samples = (int) number(name, value, 1); break;
        case "--save-freq":
          try {
            org.ckpt4j.trainer.BackupAndRestore.SaveFreq.parse(value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--save-freq \"" + value + "\" must be 'epoch', 'never' or a positive "
                + "number of batches");
          }
          job.saveFreq = value;
          break;
        case "--seed":
          try {
            job.seed = Long.parseLong(value.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed \"" + value + "\" must be a whole number");
          }
          break;
        case "--lease-timeout-ms": job.leaseTimeoutMs = number(name, value, 100); break;
        case "--workers": workers = (int) number(name, value, 1); workersGiven = true; break;
        case "--master":
          if (value.isBlank()) {
            throw new IllegalArgumentException("--master must not be empty");
          }
          master = value;
          break;
        case "--conf":
          int at = value.indexOf('=');
          if (at <= 0) {
            throw new IllegalArgumentException("--conf \"" + value + "\" must be key=value");
          }
          conf.add(new String[] {value.substring(0, at), value.substring(at + 1)});
          break;
        case "--max-attempts": maxAttempts = (int) number(name, value, 1); break;
        case "--read-timeout-ms": job.readTimeoutMs = number(name, value, 100); break;
        case "--connect-timeout-ms": job.connectTimeoutMs = number(name, value, 100); break;
        case "--fail-worker": job.failWorker = (int) number(name, value, 0); break;
        case "--fail-at-batch": job.failAtBatch = number(name, value, 0); break;
        case "--interrupt-at-epoch": case "--interrupt-at-batch":
          throw new IllegalArgumentException(name + " is the single-process crash simulation; with --workers use "
              + "--fail-worker R --fail-at-batch K");
        default: throw new IllegalArgumentException("unknown option " + name);
      }
    }

    private static long number(String name, String value, long min) {
      try {
        long n = Long.parseLong(value.trim());
        if (n >= min && n <= Integer.MAX_VALUE) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(name + " \"" + value + "\" must be a whole number >= " + min);
    }
  }
}
