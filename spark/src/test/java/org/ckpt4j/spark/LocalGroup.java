package org.ckpt4j.spark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Runs a {@link TrainingJob} as n workers on threads of this JVM, joined by a {@link TcpRing}: as Spark does with
 * a barrier stage, the first worker to fail closes every worker's ring, and the attempt fails with that
 * worker's exception.
 */
final class LocalGroup {
  private LocalGroup() {}

  static List<TrainingJob.Result> run(TrainingJob job, int n, int attempt) throws Exception {
    return run(job, n, attempt, UnaryOperator.identity());
  }

  static List<TrainingJob.Result> run(TrainingJob job, int n, int attempt, UnaryOperator<Collective> wrap)
      throws Exception {
    long[] attempts = new long[n];
    java.util.Arrays.fill(attempts, attempt);
    List<TcpRing> rings = Rings.open(attempts, Duration.ofMillis(job.readTimeoutMs), Duration.ofSeconds(10));
    ExecutorService pool = Executors.newFixedThreadPool(n);
    Throwable[] first = new Throwable[1];
    try {
      List<Future<TrainingJob.Result>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        Collective c = wrap.apply(rings.get(k));
        f.add(pool.submit(() -> {
          try {
            return job.run(c, attempt, null);
          } catch (Throwable t) {
            synchronized (first) {
              if (first[0] == null) {
                first[0] = t;
              }
            }
            Rings.closeAll(rings);
            throw t;
          }
        }));
      }
      List<TrainingJob.Result> results = new ArrayList<>();
      for (Future<TrainingJob.Result> r : f) {
        try {
          results.add(r.get(5, TimeUnit.MINUTES));
        } catch (ExecutionException e) {
          // fall through: the first failure is reported below
        }
      }
      synchronized (first) {
        if (first[0] instanceof Exception) {
          throw (Exception) first[0];
        } else if (first[0] != null) {
          throw new AssertionError(first[0]);
        }
      }
      return results;
    } finally {
      Rings.closeAll(rings);
      pool.shutdownNow();
    }
  }
}
