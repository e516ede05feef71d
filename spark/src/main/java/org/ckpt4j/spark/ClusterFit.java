package org.ckpt4j.spark;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * TensorFlow's manual multi-worker launch, without Spark: the user starts one process per worker, each with the
 * same {@code fit} arguments and a {@code TF_CONFIG} environment variable naming the cluster's addresses and its
 * own place in it ({@link ClusterConfig}). The processes form the same {@link TcpRing} as on Spark (each listens
 * on its own address, rendezvous by the given addresses, waiting up to {@code --connect-timeout-ms}); the chief
 * writes the backups. When one process dies the others fail (the ring's read fails or its deadline passes) and
 * exit with code 1; as with Keras's BackupAndRestore, "the user is responsible to bring jobs back up": started
 * again, all of them restore from the backup.
 *
 * <p>Prints, like {@link MultiWorkerFit}, {@code epochs_run=N weights_sha256=<hex>} last. Exit codes: 0 done,
 * 1 failure, 2 bad arguments or TF_CONFIG.
 */
public final class ClusterFit {
  private ClusterFit() {}

  public static void main(String[] args) {
    System.exit(run(args, System.getenv("TF_CONFIG"), System.out, System.err));
  }

  /** Runs one worker of a manually launched group; returns the exit code. */
  static int run(String[] args, String tfConfig, PrintStream out, PrintStream err) {
    if (System.getProperty("log4j2.configurationFile") == null) { // used if log4j is on the class path (Spark's)
      System.setProperty("log4j2.configurationFile", "ckpt4j-spark-log4j2.properties");
    }
    MultiWorkerFit.Options o;
    ClusterConfig cluster;
    try {
      if (tfConfig == null || tfConfig.isBlank()) {
        throw new IllegalArgumentException("TF_CONFIG is not set: give the cluster and this worker's place in it, "
            + "e.g. {\"cluster\": {\"worker\": [\"127.0.0.1:7001\", \"127.0.0.1:7002\"]}, "
            + "\"task\": {\"type\": \"worker\", \"index\": 0}}");
      }
      cluster = ClusterConfig.parse(tfConfig);
      o = MultiWorkerFit.Options.parse(args);
      if (o == null) {
        out.println("usage: TF_CONFIG='{...}' java -cp ... org.ckpt4j.spark.ClusterFit fit [fit options]\n"
            + "  (the fit options of MultiWorkerFit; --workers, if given, must match TF_CONFIG; no --master)");
        return 0;
      }
      if (o.master != null || o.job.failWorker >= 0) {
        throw new IllegalArgumentException("--master and --fail-worker do not apply to a manual launch");
      }
      if (o.workersGiven && o.workers != cluster.addresses().size()) {
        throw new IllegalArgumentException("--workers " + o.workers + " does not match TF_CONFIG's "
            + cluster.addresses().size() + " addresses");
      }
      TrainingJob.checkBackupDir(o.job.backupDir, "local"); // mem: is refused here too
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return MultiWorkerFit.EXIT_USAGE;
    }
    InetSocketAddress own = cluster.addresses().get(cluster.rank());
    try {
      ServerSocket server = TcpRing.listen(own);
      try (TcpRing ring = TcpRing.connect(cluster.rank(), cluster.addresses(), server, 0,
          Duration.ofMillis(o.job.connectTimeoutMs), Duration.ofMillis(o.job.readTimeoutMs))) {
        TrainingJob.Result r = o.job.run(ring, 0, null);
        if (r.restoredSequence() >= 0) {
          out.println("resumed from backup #" + r.restoredSequence() + " in " + o.job.backupDir + " at "
              + r.restoredAt());
        }
        out.println("epochs_run=" + r.epochsRun() + " weights_sha256=" + r.weightsSha256());
        return 0;
      }
    } catch (Exception e) {
      err.println("error: worker " + cluster.rank() + " failed: " + e);
      return 1;
    }
  }
}
