package org.ckpt4j.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext$;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.TaskKilled;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
import org.apache.spark.util.TaskInterruptListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs a {@link TrainingJob} on Spark's barrier execution mode: one barrier task per worker, so Spark starts all
 * of them together and, when one fails, kills and relaunches all of them.
 *
 * <ul>
 *   <li>The barrier RDD is followed by a shuffle ({@code repartition(1)}), which makes its stage a
 *       ShuffleMapStage: Spark retries a failed attempt of such a stage with every task (a barrier ResultStage
 *       would abort the job). Retries are capped by {@code spark.stage.maxConsecutiveAttempts}.</li>
 *   <li>Once per attempt, each task opens a server socket and the tasks exchange addresses through
 *       {@link BarrierTaskContext#allGather} (about 1 s: Spark polls), or, when they all run in this JVM (the
 *       embedded {@code local[N]}), through a {@link LocalRendezvous} (no wait); the per-step all-reduce then
 *       runs on a {@link TcpRing} between the tasks. The ring's frames carry the stage and attempt, so a task of an earlier
 *       attempt can never join.</li>
 *   <li>Killed tasks are flagged, not unblocked: the task's interrupt, failure and completion listeners close the
 *       ring, which unblocks any socket read.</li>
 * </ul>
 */
final class SparkTraining {
  private static final Logger LOG = LoggerFactory.getLogger(SparkTraining.class);

  private SparkTraining() {}

  /** The outcome of a job: every worker's result (by rank) and the attempts the stage took. */
  record Outcome(List<TrainingJob.Result> results, int attempts) {}

  /** The configuration of an embedded {@code local[workers]} Spark bound to 127.0.0.1, UI off. */
  static SparkConf embeddedConf(int workers, int maxAttempts) {
    return new SparkConf().setMaster("local[" + workers + "]").setAppName("ckpt4j-fit")
        .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
        .set("spark.stage.maxConsecutiveAttempts", Integer.toString(maxAttempts))
        .set("spark.dynamicAllocation.enabled", "false");
  }

  /** Runs {@code job} as {@code workers} barrier tasks; throws Spark's exception once it gives up. */
  static Outcome run(JavaSparkContext sc, TrainingJob job, int workers) {
    TrainingJob.checkBackupDir(job.backupDir, sc.master());
    List<Integer> ranks = new ArrayList<>();
    for (int k = 0; k < workers; k++) {
      ranks.add(k);
    }
    ClassTag<TrainingJob.Result> tag = ClassTag$.MODULE$.apply(TrainingJob.Result.class);
    RDD<TrainingJob.Result> trained = sc.parallelize(ranks, workers).rdd().barrier()
        .mapPartitions(new Worker(job, java.util.UUID.randomUUID().toString()), false, tag);
    int barrierRdd = trained.id();
    AtomicInteger attempts = new AtomicInteger();
    SparkListener counter = new SparkListener() {
      @Override
      public void onStageSubmitted(SparkListenerStageSubmitted e) {
        for (RDDInfo info : CollectionConverters.asJava(e.stageInfo().rddInfos())) {
          if (info.id() == barrierRdd) {
            attempts.incrementAndGet();
            return;
          }
        }
      }

      @Override
      public void onTaskEnd(SparkListenerTaskEnd e) {
        if (e.reason() instanceof ExceptionFailure f) {
          // one line per failed task (Spark's own lines, with stack traces, are off in the CLI's logging)
          LOG.warn("stage attempt {}: task {} failed: {}: {}", e.stageAttemptId(), e.taskInfo().index(),
              f.className(), f.description());
        } else if (e.reason() instanceof TaskKilled k) {
          // the other tasks of a failed attempt; a kill of a running attempt's task would show here too
          LOG.info("stage attempt {}: task {} killed: {}", e.stageAttemptId(), e.taskInfo().index(), k.reason());
        } else if (e.reason() instanceof TaskFailedReason f) {
          LOG.warn("stage attempt {}: task {} failed: {}", e.stageAttemptId(), e.taskInfo().index(),
              f.toErrorString().lines().findFirst().orElse(""));
        }
      }
    };
    sc.sc().addSparkListener(counter);
    try {
      List<TrainingJob.Result> results = new ArrayList<>(JavaRDD.fromRDD(trained, tag).repartition(1).collect());
      results.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
      // the listener bus may lag behind the job's end: the attempt that succeeded says how many there were
      return new Outcome(results, Math.max(attempts.get(), results.get(0).attempt() + 1));
    } finally {
      sc.sc().removeSparkListener(counter);
    }
  }

  /** The barrier task: rendezvous, ring, training. */
  static final class Worker extends AbstractFunction1<scala.collection.Iterator<Integer>,
      scala.collection.Iterator<TrainingJob.Result>> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** How long a task whose ring failed waits to be killed for another task's failure. */
    static final long ECHO_WAIT_MS = 1000;
    private final TrainingJob job;
    /** Names this job's rendezvous in the embedded Spark's JVM. */
    private final String token;

    Worker(TrainingJob job, String token) {
      this.job = job;
      this.token = token;
    }

    @Override
    public scala.collection.Iterator<TrainingJob.Result> apply(scala.collection.Iterator<Integer> ignored) {
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int rank = ctx.partitionId();
      int attempt = ctx.stageAttemptNumber();
      AtomicReference<AutoCloseable> open = new AtomicReference<>();
      ctx.addTaskInterruptListener((TaskInterruptListener) (c, reason) -> TcpRing.closeQuietly(open.get()));
      ctx.addTaskFailureListener((TaskFailureListener) (c, error) -> TcpRing.closeQuietly(open.get()));
      ctx.addTaskCompletionListener((TaskCompletionListener) c -> TcpRing.closeQuietly(open.get()));
      try {
        String host = bindHost(ctx, rank);
        ServerSocket server = TcpRing.listen(new InetSocketAddress(InetAddress.getByName(host), 0));
        open.set(server);
        long t0 = System.nanoTime();
        String mine = host + ":" + server.getLocalPort();
        String[] all;
        if (SparkContext$.MODULE$.DRIVER_IDENTIFIER().equals(SparkEnv.get().executorId())) {
          // every task runs in this JVM (local[N]): no need for allGather's one-second polls
          LocalRendezvous r = LocalRendezvous.join(token + ":" + ctx.stageId() + ":" + attempt,
              ctx.getTaskInfos().length);
          open.set(() -> {
            r.close();
            server.close();
          });
          all = r.exchange(rank, mine, job.connectTimeoutMs);
          open.set(server);
        } else {
          all = ctx.allGather(mine);
        }
        LOG.debug("stage attempt {}: worker {}: rendezvous in {} ms", attempt, rank,
            (System.nanoTime() - t0) / 1_000_000);
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String a : all) {
          int colon = a.lastIndexOf(':');
          addresses.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
        }
        long ringAttempt = ((long) ctx.stageId() << 32) | attempt;
        TcpRing ring = TcpRing.connect(rank, addresses, server, ringAttempt,
            Duration.ofMillis(job.connectTimeoutMs), Duration.ofMillis(job.readTimeoutMs));
        open.set(ring);
        try (ring) {
          TrainingJob.Result r = job.run(ring, attempt, null);
          return CollectionConverters.asScala(List.of(r).iterator());
        }
      } catch (CollectiveException e) {
        awaitKill(ctx);
        throw new java.io.UncheckedIOException(e);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /**
     * A ring failure is mostly the echo of another task's failure (its listeners closed its sockets before Spark
     * heard of it): wait up to {@link #ECHO_WAIT_MS} for Spark to kill this task, so that the stage fails with
     * the other task's cause (e.g. the user's exception), not with "the previous worker closed the connection".
     * When this task is killed, Spark reports it as killed, whatever it throws.
     */
    private static void awaitKill(BarrierTaskContext ctx) {
      long until = System.nanoTime() + ECHO_WAIT_MS * 1_000_000L;
      try {
        while (!ctx.isInterrupted() && System.nanoTime() < until) {
          Thread.sleep(5);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** The address this task listens on: the executor's own (127.0.0.1 for the embedded default). */
    private static String bindHost(BarrierTaskContext ctx, int rank) {
      String a = ctx.getTaskInfos()[rank].address();
      int colon = a.lastIndexOf(':');
      return colon > 0 ? a.substring(0, colon) : a;
    }
  }
}
