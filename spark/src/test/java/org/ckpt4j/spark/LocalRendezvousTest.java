package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class LocalRendezvousTest {
  private static final ExecutorService POOL = Executors.newCachedThreadPool();

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  @Test
  void exchange_everyTaskGetsEveryAddressByRank() throws Exception {
    List<Future<String[]>> f = new ArrayList<>();
    for (int rank : new int[] {2, 0, 1}) {
      f.add(POOL.submit(() -> LocalRendezvous.join("job-a:0:0", 3).exchange(rank, "host:" + rank, 10_000)));
    }
    for (Future<String[]> r : f) {
      assertThat(r.get(10, TimeUnit.SECONDS)).containsExactly("host:0", "host:1", "host:2");
    }
    // all took their copy: the key is free for another rendezvous of another size
    assertThat(LocalRendezvous.join("job-a:0:0", 1).exchange(0, "again", 1000)).containsExactly("again");
  }

  @Test
  void otherAttempts_doNotMix() throws Exception {
    Future<String[]> a0 = POOL.submit(() -> LocalRendezvous.join("job-b:0:0", 2).exchange(0, "a0", 10_000));
    Future<String[]> b1 = POOL.submit(() -> LocalRendezvous.join("job-b:0:1", 2).exchange(1, "b1", 10_000));
    Future<String[]> b0 = POOL.submit(() -> LocalRendezvous.join("job-b:0:1", 2).exchange(0, "b0", 10_000));
    assertThat(b0.get(10, TimeUnit.SECONDS)).containsExactly("b0", "b1");
    assertThat(b1.get(10, TimeUnit.SECONDS)).containsExactly("b0", "b1");
    assertThat(a0.isDone()).isFalse();
    LocalRendezvous.join("job-b:0:0", 2).close();
    assertThatThrownBy(() -> a0.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CollectiveException.class);
  }

  @Test
  void close_fromAKillListener_unblocksAWaitingTask() throws Exception {
    LocalRendezvous r = LocalRendezvous.join("job-c:0:0", 2);
    Future<String[]> waiting = POOL.submit(() -> r.exchange(0, "a", 60_000));
    Thread.sleep(200);
    assertThat(waiting.isDone()).isFalse();
    r.close();
    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(CollectiveException.class).hasMessageContaining("aborted");
  }

  @Test
  void missingTask_failsAtTheDeadline_namingHowManyArrived() {
    assertThatThrownBy(() -> LocalRendezvous.join("job-d:0:0", 3).exchange(1, "a", 300))
        .isInstanceOf(CollectiveException.class).hasMessageContaining("1 of 3 tasks arrived within 300 ms");
  }
}
