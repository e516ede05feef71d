package org.ckpt4j.spi.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt4j.spi.internal.ObjectCheckpointStoreTest.read;
import static org.ckpt4j.spi.internal.ObjectCheckpointStoreTest.write;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ckpt4j.spi.BackupDirHolder;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.FencedWriterException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * R6.3: the holder's lease timeout governs a takeover, not the newcomer's; a holder whose process is gone from
 * this machine is taken over at once; on another machine, or alive, it is waited for.
 */
@Timeout(60)
class LeaseTakeoverTest {
  private final InMemoryObjectStore objects = new InMemoryObjectStore(URI.create("mem:lease"));

  @AfterEach
  void noLeaks() {
    objects.checkNoOpenStreams();
  }

  private CheckpointStore open(Duration lease) throws IOException {
    return CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    }, StoreOptions.forOwner("run-a").leaseTimeout(lease).build());
  }

  @Test
  void newcomerWithAShorterLeaseTimeout_waitsForTheHolders_andIsRefusedByALiveHolder() throws IOException {
    try (CheckpointStore holder = open(Duration.ofSeconds(5))) { // heartbeats every 1.25 s
      write(holder, Map.of("a", "one"));
      long start = System.nanoTime();
      assertThatThrownBy(() -> open(Duration.ofMillis(100))).isInstanceOf(SharedBackupDirException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused once the holder's lease changed")
          .isLessThan(Duration.ofSeconds(5));
      write(holder, Map.of("a", "two"));
      assertThat(read(holder.latest().orElseThrow(), "a")).isEqualTo("two");
    }
  }

  /** A crashed holder's claim, as its claim record and lease would be, with {@code holder} fields. */
  @SuppressWarnings("unchecked")
  private void crashedHolder(Holder holder) throws IOException {
    try (CheckpointStore store = open(Duration.ofMillis(100))) {
      write(store, Map.of("a", "one"));
    }
    String storeId = (String) ((Map<String, Object>) Json.parse(objects.get("ckpt4j.json").orElseThrow()))
        .get("storeId");
    List<String> log = objects.list("log/");
    Map<String, Object> last = (Map<String, Object>) Json.parse(objects.get(log.get(log.size() - 1)).orElseThrow());
    long seq = (Long) last.get("seq") + 1;
    Map<String, Object> claim = new TreeMap<>();
    claim.put("type", "claim");
    claim.put("seq", seq);
    claim.put("epoch", seq);
    claim.put("token", "crashed");
    claim.put("storeId", storeId);
    claim.put("base", last.get("base"));
    claim.put("time", Instant.now().toString());
    holder.writeTo(claim);
    objects.put(String.format("log/%020d.json", seq), Records.sealed(claim));
    Map<String, Object> lease = new TreeMap<>();
    lease.put("storeId", storeId);
    lease.put("epoch", seq);
    lease.put("beat", 0L);
    lease.put("timeMillis", System.currentTimeMillis());
    holder.writeTo(lease);
    objects.put(String.format("lease/%020d.json", seq), Records.sealed(lease));
  }

  private static long finishedProcessPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  private Duration timedOpen(Duration lease) throws IOException {
    long start = System.nanoTime();
    try (CheckpointStore store = open(lease)) {
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
      return took;
    }
  }

  @Test
  void holderWhoseProcessIsGoneFromThisMachine_isTakenOverAtOnce() throws Exception {
    Holder me = Holder.current(-1);
    crashedHolder(new Holder("a crashed run", Duration.ofHours(1).toMillis(), finishedProcessPid(), null,
        me.host(), me.machine()));
    assertThat(timedOpen(Duration.ofSeconds(10))).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void holderWhosePidWasReused_isTakenOverAtOnce() throws Exception {
    Process other = new ProcessBuilder("sleep", "60").start();
    try {
      Holder me = Holder.current(-1);
      crashedHolder(new Holder("a crashed run", Duration.ofHours(1).toMillis(), other.pid(),
          Instant.parse("2001-01-01T00:00:00Z").toString(), me.host(), me.machine()));
      assertThat(timedOpen(Duration.ofSeconds(10))).isLessThan(Duration.ofSeconds(3));
    } finally {
      other.destroy();
    }
  }

  @Test
  void holderOnAnotherMachine_orAlive_isWaitedFor_forItsOwnLeaseTimeout() throws Exception {
    Holder me = Holder.current(-1);
    crashedHolder(new Holder("elsewhere", 1500, finishedProcessPid(), null, me.host(), "another machine"));
    assertThat(timedOpen(Duration.ofMillis(100))).as("a holder on another machine: its 1.5 s timeout")
        .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    crashedHolder(new Holder("this JVM", 1500, me.pid(), me.processStart(), me.host(), me.machine()));
    assertThat(timedOpen(Duration.ofMillis(100))).as("a holder whose process lives: its 1.5 s timeout")
        .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
  }

  @Test
  @SuppressWarnings("unchecked")
  void claimAndLease_nameTheHoldersLeaseTimeoutProcessAndMachine() throws Exception {
    try (CheckpointStore holder = open(Duration.ofMillis(700))) {
      assertThat(holder.holder()).isPresent();
      List<String> log = objects.list("log/");
      Map<String, Object> claim = (Map<String, Object>) Json.parse(objects.get(log.get(log.size() - 1)).orElseThrow());
      Map<String, Object> lease = (Map<String, Object>) Json.parse(objects.get(objects.list("lease/").get(0))
          .orElseThrow());
      for (Map<String, Object> rec : List.of(claim, lease)) {
        assertThat(rec).containsEntry("leaseTimeoutMs", 700L).containsEntry("pid", ProcessHandle.current().pid())
            .containsEntry("machine", Holder.current(-1).machine());
      }
    }
  }

  @Test
  void holder_namesTheLiveHolder_andIsEmptyOnceReleased() throws Exception {
    try (CheckpointStore reader = CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    }, StoreOptions.readOnly().build())) {
      assertThat(reader.holder()).isEmpty();
      try (CheckpointStore writer = open(Duration.ofMillis(700))) {
        write(writer, Map.of("a", "one"));
        BackupDirHolder h = reader.holder().orElseThrow();
        assertThat(h.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(h.host()).isEqualTo(Holder.current(-1).host());
        assertThat(h.leaseTimeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(h.leaseAge(Instant.now()).orElseThrow()).isLessThan(Duration.ofSeconds(30));
        assertThat(writer.holder().orElseThrow().claim()).isEqualTo(h.claim()); // the lease may be renewed between
      }
      assertThat(reader.holder()).isEmpty();
    }
  }

  /** Lease times come from the store's clock: by a clock three hours ahead, a 1-hour holder is long dead. */
  @Test
  void holderWhoseLeaseIsOlderThanTwiceItsTimeoutByTheNewcomersClock_isTakenOverAtOnce() throws Exception {
    CheckpointStore holder = open(Duration.ofHours(1)); // renews its lease every 15 minutes
    write(holder, Map.of("a", "one"));
    java.time.Clock later = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(3));
    long start = System.nanoTime();
    try (CheckpointStore taker = ObjectCheckpointStore.open(new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    }, StoreOptions.forOwner("run-a").leaseTimeout(Duration.ofMillis(100)).build(), later)) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      write(taker, Map.of("a", "two"));
    }
    assertThatThrownBy(() -> write(holder, Map.of("a", "three"))).isInstanceOf(FencedWriterException.class);
    holder.close();
  }
}
