package org.ckpt4j.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.SupersededCheckpointException;
import org.ckpt4j.spi.backend.Capability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ckpt4j conformance kit: certifies a storage backend against the {@link CheckpointStore} contract
 * (rules R1..R8, {@code docs/contract.md}). A backend author writes <b>one</b> test class whose name ends in
 * {@code Tck} and returns a {@link TckFixture}:
 *
 * <pre>{@code
 * class AcmeStoreTck extends CheckpointStoreTck {
 *   @Override
 *   protected TckFixture fixture() throws Exception {
 *     return TckFixture.builder(() -> URI.create("acme://tck-bucket/run-" + UUID.randomUUID()))
 *         .property("acme.endpoint", server.endpoint())         // settings for StoreOptions
 *         .capabilities(Capability.CROSS_PROCESS)               // what the backend declares
 *         .objects((dir, options) -> AcmeObjects.open(dir, options))  // raw access + fault injection
 *         .childJvmArgs("-Dacme.test.port=" + server.port())    // for the SIGKILL child JVMs
 *         .build();
 *   }
 * }
 * }</pre>
 *
 * <p>Test names carry the level and the rule id, as in the Reactive Streams TCK: {@code required_R2_...} must
 * pass; {@code optional_...} runs where the backend declares the capability (a declared capability that fails is
 * a failure, never a skip); a rule the kit cannot check for the backend is skipped as "untested: ..." (power loss
 * of an object store). A rule that needs something the fixture does not give (raw access, fault injection, several processes)
 * is skipped with the reason. Each test's javadoc says what it verifies and where to look if it fails. After the
 * class, a summary (rules passed/failed/skipped, trials run, the seed) is printed and written to
 * {@code target/ckpt4j-tck/<class>.txt}.
 *
 * <p>{@link #fixture()} is called once per test class, after the subclass's {@code @BeforeAll} methods (start
 * your test server there). One instance of the class runs all its tests ({@code PER_CLASS} lifecycle).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TckSummary.class)
public abstract class CheckpointStoreTck {
  private Kit kit;

  /** The backend under test. Called once per test class. */
  protected abstract TckFixture fixture() throws Exception;

  /** For the summary: the kit if it was created. */
  final Kit kitOrNull() {
    return kit;
  }

  final Kit kit() {
    return kit;
  }

  @BeforeEach
  final void prepareTckTest(TestInfo info) throws Exception {
    if (kit == null) {
      kit = new Kit(fixture());
    }
    kit.beginTest(info.getTestMethod().map(m -> m.getName()).orElse(info.getDisplayName()));
  }

  @AfterAll
  final void closeTckFixture() {
    // nothing to release: the fixture's resources belong to the subclass (its @AfterAll stops its server)
  }

  // ========================================================================================== Capabilities

  /**
   * The capabilities the fixture declares are exactly those an opened store reports
   * ({@link CheckpointStore#capabilities()}), so users see what was certified. Skipped when the fixture leaves
   * them to the store.
   */
  @Test
  public void optional_capabilitiesReportedAsDeclared() throws Exception {
    Set<Capability> declared = kit.fixture.declaredCapabilities().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(declared != null, "not applicable: the fixture declares no "
        + "capabilities; the store's report is used");
    try (CheckpointStore s = kit.open(kit.newDir())) {
      assertEquals(declared, Set.copyOf(s.capabilities()), "capabilities() of an opened store vs. the fixture's "
          + "declaration");
    }
  }

  /**
   * The fixture's transport fault hook sees the store's requests (a hook that counts nothing would make the
   * transport-fault trials of R3.1 test nothing), and (with raw access) an armed fault fires: a get right after
   * {@code failRequest(1, FAIL_BEFORE)} raises or is retried. Skipped without a hook.
   */
  @Test
  public void optional_transportFaultHookSeesRequests() throws Exception {
    TransportFaults hook = kit.fixture.transportFaults().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(hook != null, "not applicable: the fixture has no transport "
        + "fault hook");
    hook.disarm();
    try (CheckpointStore s = kit.open(kit.newDir())) {
      kit.smallContent("counted").commit(s);
    }
    assertTrue(hook.requests() > 0, "the transport fault hook counted no requests during an open and a commit");
    hook.disarm();
    if (!kit.hasRawAccess()) {
      return;
    }
    // An armed fault must fire: failRequest(1, ...) fails the very next request (counting from now). With raw
    // access: a get whose first request fails raises, or (if the client retries) makes more requests than one
    // that nobody disturbed.
    URI dir = kit.newDir();
    try (org.ckpt4j.spi.backend.ObjectStore raw = kit.raw(dir)) {
      raw.put("probe", new byte[] {1});
      List<String> seen = new ArrayList<>();
      int fired = 0;
      for (int i = 0; i < 3; i++) {
        hook.disarm();
        long before = hook.requests();
        raw.get("probe");
        long plain = hook.requests() - before;
        hook.disarm();
        before = hook.requests();
        hook.failRequest(1, TransportFaults.Kind.FAIL_BEFORE);
        String outcome;
        try {
          raw.get("probe");
          long armed = hook.requests() - before;
          outcome = armed > plain ? "retried" : "no effect";
        } catch (IOException e) {
          outcome = "raised";
        } finally {
          hook.disarm();
        }
        seen.add(outcome + " (an undisturbed get made " + plain + " requests)");
        if (!outcome.equals("no effect")) {
          fired++;
        }
      }
      if (fired == 0) {
        fail("the transport fault hook's armed faults never fired: a get right after failRequest(1, FAIL_BEFORE) "
            + "had " + seen + "; failRequest(n) must fail the n-th request from now (1 = the next one), and "
            + "disarm() reset requests()");
      }
    }
  }

  // ===================================================================================== R0 ObjectStore

  /**
   * R0.1: create-if-absent is exclusive: 8 threads, each with its own client, race {@code putIfAbsent} on one
   * key, 30 rounds; exactly one wins each round and the stored bytes are the winner's. If this fails, check that
   * the backend's create-if-absent is one atomic conditional request (S3 {@code If-None-Match: *}, GCS
   * {@code ifGenerationMatch=0}, a hard link or {@code CREATE_NEW} on a file system), never check-then-write.
   */
  @Test
  public void required_R0_1_createIfAbsentExclusiveAcrossThreads() throws Exception {
    new ObjectStoreRules(kit).createIfAbsentExclusiveAcrossThreads();
  }

  /**
   * R0.1 across processes ({@link Capability#CROSS_PROCESS}): 3 child JVMs race {@code putIfAbsent} on one key
   * per round, 30 rounds; exactly one wins each round and the stored bytes are the winner's. Needs the provider's
   * {@code objectStore()} in the child JVMs.
   */
  @Test
  public void optional_R0_1_createIfAbsentExclusiveAcrossProcesses() throws Exception {
    new ObjectStoreRules(kit).createIfAbsentExclusiveAcrossProcesses();
  }

  /**
   * R0.2: 4 {@code CheckpointStores.open} calls racing on a fresh backup dir, 8 rounds: at most one holds it.
   * If this fails, check create-if-absent (R0.1) and the claim of the first log slot.
   */
  @Test
  public void required_R0_2_racingOpensOnFreshDirAtMostOneHolds() throws Exception {
    new ObjectStoreRules(kit).racingOpensOnFreshDir();
  }

  /**
   * R0.3: {@code list()} returns every object when one prefix holds more objects than any real listing page
   * (5,003 small objects written once per run; S3 and GCS pages hold 1,000, Azure's 5,000). If this fails, check
   * that the listing follows every continuation token. Backends with a page-size knob should set a small page
   * size in their fixture so that every rule's listings cross pages.
   */
  @Test
  public void required_R0_3_listReturnsEveryObjectPastPageSizes() throws Exception {
    new ObjectStoreRules(kit).listReturnsEveryObject();
  }

  /**
   * R0.4: {@code delete()} of a missing object is a no-op; with a transport fault hook, a delete whose request
   * fails raises or has removed the object, never returns with the object still there. If this fails, check that
   * "not found" is treated as success and every other error is raised.
   */
  @Test
  public void required_R0_4_deleteOfMissingIsNoOpAndFailuresRaise() throws Exception {
    new ObjectStoreRules(kit).deleteOfMissingIsNoOpAndFailuresRaise();
  }

  // ================================================================================================ R1 Write

  /**
   * R1.1: blobs of any size (0 bytes to {@code maxBlobBytes}) and unicode metadata round-trip byte for byte,
   * through the writing store and a fresh read-only store. If this fails, check that blob channels stream
   * every byte and that metadata is stored verbatim.
   */
  @Test
  public void required_R1_1_blobsOfAnySizeAndMetadataRoundTrip() throws Exception {
    URI dir = kit.newDir();
    long big = kit.settings.maxBlobBytes;
    Content c = new Content("r1", Map.of("empty", new long[] {0, 1}, "one", new long[] {1, 2},
        "a/b/odd.bin", new long[] {8191, 3}, "big/blob", new long[] {big, 4}, ".hidden/x-y_z.9",
        new long[] {65537, 5}), Map.of("k", "v \u00e9\u6f22 \"q\"", "empty", ""));
    try (CheckpointStore s = kit.open(dir)) {
      Checkpoint cp = c.commit(s);
      assertEquals(c.metadata(), cp.metadata(), "commit() returned other metadata than given");
      c.verify(cp);
      c.verify(s.latest().orElseThrow(() -> new AssertionError("latest() is empty right after a commit")));
    }
    kit.assertLatestIsOneOf(dir, "a fresh read-only store after the commit", c);
  }

  /**
   * R1.2: invalid blob names and a name used twice in one checkpoint are {@link IllegalArgumentException}s;
   * unusual valid names are accepted. If this fails, validate names with {@code BlobNames}.
   */
  @Test
  public void required_R1_2_blobNamesAreValidated() throws Exception {
    try (CheckpointStore s = kit.open(kit.newDir()); CheckpointWriter w = s.begin()) {
      for (String bad : List.of("", "/abs", "a//b", "a/./b", "../x", "a/..", "sp ace", "back\\slash", "ü",
          "x".repeat(201), "a/")) {
        assertThrows(IllegalArgumentException.class, () -> w.newBlob(bad), "blob name \"" + bad + "\"");
      }
      for (String good : List.of(".hidden", "a-b_c.9/x", "x".repeat(200), "...")) {
        w.newBlob(good).close();
      }
      assertThrows(IllegalArgumentException.class, () -> w.newBlob("a-b_c.9/x"), "a name used twice");
      Checkpoint cp = w.commit(Map.of());
      assertEquals(Set.of(".hidden", "a-b_c.9/x", "x".repeat(200), "..."), cp.blobs().keySet());
    }
  }

  /**
   * R1.3: one writer at a time per store ({@code begin} while a writer is open is an
   * {@link IllegalStateException}); blobs of one writer may be written from several threads at once.
   */
  @Test
  public void required_R1_3_oneWriterAtATimeBlobsFromManyThreads() throws Exception {
    URI dir = kit.newDir();
    Content c = new Content("threads", Map.of("t0", new long[] {300_000, 10}, "t1", new long[] {200_001, 11},
        "t2/x", new long[] {1, 12}, "t3", new long[] {0, 13}), Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (CheckpointStore s = kit.open(dir); CheckpointWriter w = s.begin()) {
      assertThrows(IllegalStateException.class, s::begin, "begin() while a writer is open");
      List<Future<?>> fs = new ArrayList<>();
      for (Map.Entry<String, long[]> e : c.blobs.entrySet()) {
        fs.add(pool.submit(() -> {
          try (WritableByteChannel ch = w.newBlob(e.getKey())) {
            Content.stream(ch, e.getValue()[0], e.getValue()[1], Long.MAX_VALUE);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      c.verify(w.commit(c.metadata()));
    } finally {
      pool.shutdownNow();
    }
    kit.assertLatestIsOneOf(dir, "after blobs were written from 4 threads", c);
  }

  /**
   * R1, R2, R4, R5 model-based ({@code ckpt4j.tck.sequences} sequences of up to 40 steps): random open / begin
   * / write (0 to many blobs, 0 bytes to {@code maxBlobBytes}, random valid and invalid names) / commit / abort
   * / abandon / latest / read-only read / delete / close / reopen, checked against a reference model after
   * every step. A failure is shrunk by QuickTheories and printed as the script of steps that fails.
   */
  @Test
  public void stochastic_R1_R2_R4_R5_modelBasedSequences() {
    new ModelRules(kit).run();
  }

  // ======================================================================================= R2 Atomic slot

  /**
   * R2.1 and R2.2: while a writer has streamed all blobs but not committed, this store, another read-only
   * store and a reopened store see the previous checkpoint; once commit returns, all of them see the new one.
   * If this fails, check that nothing is published before the one atomic step of the commit.
   */
  @Test
  public void required_R2_1_previousVisibleUntilCommitReturnsThenNew() throws Exception {
    URI dir = kit.newDir();
    Content first = kit.content("first");
    Content second = kit.content("second");
    try (CheckpointStore s = kit.open(dir); CheckpointStore reader = kit.openReadOnly(dir)) {
      first.commit(s);
      try (CheckpointWriter w = s.begin()) {
        second.writeBlobs(w);
        kit.assertLatestIsOneOf(s, "the writing store before commit", first);
        kit.assertLatestIsOneOf(reader, "a read-only store before commit", first);
        kit.assertLatestIsOneOf(dir, "a new read-only store before commit", first);
        w.commit(second.metadata());
      }
      kit.assertLatestIsOneOf(s, "the writing store after commit", second);
      kit.assertLatestIsOneOf(reader, "a read-only store opened before the commit", second);
    }
    kit.assertLatestIsOneOf(dir, "a new read-only store after commit", second);
  }

  /**
   * R2.4: after a commit the previous checkpoint's blobs are gone: reading one raises
   * {@link SupersededCheckpointException}; with raw access, the storage holds little more than the live
   * checkpoint. If this fails, check the removal of superseded data after a commit.
   */
  @Test
  public void required_R2_4_previousDataRemovedAfterCommit() throws Exception {
    URI dir = kit.newDir();
    Content first = new Content("old", Map.of("w", new long[] {300_000, 21}, "x/y", new long[] {10, 22}),
        Map.of());
    Content second = new Content("new", Map.of("w", new long[] {1000, 23}), Map.of());
    try (CheckpointStore s = kit.open(dir)) {
      Checkpoint old = first.commit(s);
      second.commit(s);
      assertThrows(SupersededCheckpointException.class, () -> drain(old, "w"),
          "reading a blob of a superseded checkpoint");
      assertTrue(s.previous().isEmpty(), "previous() without keepPrevious must be empty");
    }
    if (kit.hasRawAccess()) {
      Map<String, byte[]> snap = kit.snapshot(dir);
      long slack = 64 * 1024;
      if (Kit.bytes(snap) > second.totalBytes() + slack) {
        fail("R2.4: after a second commit the storage still holds " + Kit.bytes(snap) + " bytes in "
            + snap.size() + " objects, but the live checkpoint has " + second.totalBytes()
            + " bytes (+ " + slack + " allowed for records): superseded data was not removed; objects "
            + snap.keySet());
      }
    }
  }

  /**
   * R2.4 and R4.3: with {@code keepPrevious} exactly one previous checkpoint is kept, readable through
   * {@code previous()}; the one before it is removed.
   */
  @Test
  public void required_R2_4_keepPreviousKeepsExactlyOne() throws Exception {
    URI dir = kit.newDir();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    Content c = new Content("c", Map.of("w", new long[] {5000, 31}), Map.of());
    try (CheckpointStore s = kit.open(dir, kit.rw(Kit.OWNER).keepPrevious(true).build())) {
      Checkpoint ca = a.commit(s);
      assertTrue(s.previous().isEmpty(), "previous() after the first commit must be empty");
      b.commit(s);
      a.verify(s.previous().orElseThrow(() -> new AssertionError("previous() is empty after two commits")));
      Checkpoint cc = c.commit(s);
      b.verify(s.previous().orElseThrow(() -> new AssertionError("previous() is empty after three commits")));
      c.verify(cc);
      if (!a.blobs.isEmpty()) {
        String name = a.blobs.keySet().iterator().next();
        assertThrows(SupersededCheckpointException.class, () -> drain(ca, name),
            "reading a blob of the checkpoint before the kept previous one");
      }
    }
  }

  // ===================================================================================== R3 Interruptions

  /**
   * R3.1: randomized interruptions ({@code ckpt4j.tck.interruptionTrials}) on one backup dir: exceptions thrown
   * by user code from inside blob streams at random offsets, thread interrupts, writers abandoned without
   * close, and (with fault injection) storage calls failing at random call counts before or after being
   * applied, streams failing at random bytes, and the store "dying" mid-write. After each, a fresh store
   * returns exactly the last checkpoint whose commit returned, or for an interrupted commit that one or the new
   * one, byte-identical. R3.2: after the trials and a clean commit, no leftovers remain (with raw access). If
   * this fails, the message lists every step of the run.
   */
  @Test
  public void stochastic_R3_1_randomizedInterruptionsLeavePreviousOrNewWhole() throws Exception {
    new InterruptionRules(kit).randomizedTrials();
  }

  /**
   * R3.1 with fault injection: every storage call of a commit fails in turn, once before reaching the storage
   * and once after succeeding with its response lost. Latest is then the previous or the new checkpoint,
   * whole, and the same store commits again once the fault is gone: a store must recognise its own record when
   * the response to creating it was lost ("I already won"), never fence itself.
   */
  @Test
  public void required_R3_1_everyCallOfACommitFailsInTurn() throws Exception {
    new InterruptionRules(kit).everyCallOfACommitFailsInTurn();
  }

  /**
   * R3.2: leftovers of a writer that died mid-blob (with fault injection: every call fails from then on, like
   * a killed process) are removed by the next open and commit: the storage holds little more than the live
   * checkpoint. For a backend over NIO paths ({@code TckFixture.Builder.pathObjects}), writers also crash at
   * a file system link or rename (temporary files in place), and after the next open, a commit and a close a
   * walk of the backup dir finds no file that the backend's {@code list()} hides. If this fails, check the
   * pruning of unreferenced data on open/commit and {@code ObjectStore.purgeIncomplete}.
   */
  @Test
  public void required_R3_2_leftoversRemovedByNextOpenAndCommit() throws Exception {
    new InterruptionRules(kit).leftoversRemovedByNextOpenAndCommit();
    new PowerLossRules(kit).crashedWritersLeaveNoHiddenFiles();
  }

  /**
   * R3.3: restarts leave no trail (raw access): after a commit, the store is opened and closed
   * {@value InterruptionRules#RESTARTS} times; the storage then holds as many objects as after the first
   * reopen, and {@code latest()} is still the commit, whole. If this fails, check that an open prunes the
   * claim and release records of earlier opens (docs/contract.md, "Bases"), and leases of earlier claims.
   */
  @Test
  public void required_R3_3_restartsLeaveNoTrail() throws Exception {
    new InterruptionRules(kit).restartsLeaveNoTrail();
  }

  // ========================================================================================== R4 Latest

  /** R4.1: a fresh backup dir has no checkpoint; latest() is the newest commit, with increasing sequences. */
  @Test
  public void required_R4_1_latestIsNewestOrEmpty() throws Exception {
    URI dir = kit.newDir();
    try (CheckpointStore s = kit.open(dir)) {
      assertTrue(s.latest().isEmpty(), "latest() of a fresh backup dir must be empty");
      long last = -1;
      for (int i = 0; i < 4; i++) {
        Content c = kit.smallContent("c" + i);
        Checkpoint cp = c.commit(s);
        assertTrue(cp.sequence() > last, "sequence " + cp.sequence() + " after " + last + " must increase");
        last = cp.sequence();
        long seq = cp.sequence();
        Checkpoint latest = s.latest().orElseThrow(() -> new AssertionError("R4.1: latest() is empty right after "
            + "commit #" + seq + " returned"));
        assertEquals(cp.sequence(), latest.sequence(), "latest() sequence");
        assertEquals(cp.id(), latest.id(), "latest() id");
        c.verify(latest);
      }
    }
  }

  /**
   * R4.2: every stored object in turn gets a random bit flipped, then is truncated (raw access): reading the
   * checkpoint, by {@code openBlob}, by {@code readBlobs} and by {@code readInto} each, raises
   * {@link org.ckpt4j.spi.CorruptCheckpointException} (always, for objects holding blob bytes; a deleted blob
   * too) or returns exactly the committed data; never wrong data, never an untyped error.
   * If this fails, check that every read is verified against the size and CRC32 recorded at commit.
   */
  @Test
  public void required_R4_2_bitFlipsAndTruncationsDetected() throws Exception {
    new StorageRules(kit).bitFlipsAndTruncationsDetected();
  }

  /**
   * R4.2 for large blobs and every position: a first blob, a blob larger than twice every chunk size the spi and
   * the kit's backends use (over 8 MiB), and a last blob; a byte of each (its last byte; for the large one also a
   * byte past its second chunk) flipped in turn is detected by {@code openBlob}, {@code readBlobs} and
   * {@code readInto}. If this fails, check that verification covers every chunk of a large blob and the last
   * blob of a multi-blob read.
   */
  @Test
  public void required_R4_2_largeFirstMiddleLastBlobsVerified() throws Exception {
    new StorageRules(kit).largeFirstMiddleLastBlobsVerified();
  }

  /**
   * R4.3: with {@code keepPrevious}, whenever corrupting an object of the latest commit makes the latest
   * checkpoint corrupt, {@code previous()} still returns the checkpoint before it, whole.
   */
  @Test
  public void required_R4_3_previousIsFallbackWhenLatestCorrupt() throws Exception {
    new StorageRules(kit).previousIsFallbackWhenLatestCorrupt();
  }

  /**
   * R4.4: the backend's ranged reads ({@code ObjectStore.open(key, offset, length)}, and {@code openFile} where
   * offered) return exactly the range, ending early where the object ends; an absent object is {@code
   * NoSuchFileException}. If this fails, check the backend's range arithmetic (an inclusive end, a length
   * ignored, a server that ignores {@code Range}).
   */
  @Test
  public void required_R4_4_rangedReadsExact() throws Exception {
    new StorageRules(kit).rangedReadsExact();
  }

  /**
   * R4.5: an unreadable record is never a reason to delete data. The newest commit record is made unreadable
   * through raw access (a checksum mismatch, a valid checksum over invalid content, an oversized record); a
   * read-write open must then refuse (or its {@code latest()} raise {@link org.ckpt4j.spi.CorruptCheckpointException})
   * without {@code keepPrevious}, and fall back to the previous checkpoint with it; no data object may go. After
   * the record is repaired the checkpoint reads back whole. If this fails, check what the open and its pruning
   * do with a record that fails verification: it may name data, so nothing it might name is deleted, and a
   * refused open changes nothing.
   */
  @Test
  public void required_R4_5_unreadableRecordNeverDeletesData() throws Exception {
    new RecordRules(kit).unreadableRecordNeverDeletesData();
  }

  /**
   * R2.4, R4.3: a read-only store's {@code previous()} is empty when the backup dir keeps no previous checkpoint,
   * and the kept previous checkpoint, whole, where one is kept. If this fails, check that a read-only store
   * offers a previous checkpoint only where the writer kept its data.
   */
  @Test
  public void required_R4_3_readOnlyPreviousOnlyWhenKept() throws Exception {
    new RecordRules(kit).readOnlyPreviousOnlyWhenKept();
  }

  // ============================================================================================= R5 Delete

  /**
   * R5.1, R5.2, R5.3: {@code delete()} (called twice) removes every object the store wrote and nothing else:
   * foreign objects planted after the store opened, with random names and names imitating the store's own,
   * are all that is left, byte for byte.
   */
  @Test
  public void required_R5_2_deleteRemovesOwnObjectsOnly() throws Exception {
    new StorageRules(kit).deleteRemovesOwnObjectsOnly();
  }

  /**
   * R5.1, R5.3 without raw access: after {@code delete()} the store is closed, a second {@code delete()} is
   * harmless, and the backup dir is empty again: another owner identity opens it and finds no checkpoint.
   */
  @Test
  public void required_R5_1_deletedBackupDirIsEmptyAndDeleteIsIdempotent() throws Exception {
    URI dir = kit.newDir();
    CheckpointStore s = kit.open(dir);
    kit.content("doomed").commit(s);
    s.delete();
    s.delete();
    assertThrows(IllegalStateException.class, s::begin, "begin() after delete()");
    s.close();
    try (CheckpointStore other = kit.open(dir, kit.rw("another-owner").build())) {
      assertTrue(other.latest().isEmpty(), "R5.1: latest() in a deleted backup dir must be empty");
    }
    try (CheckpointStore fresh = kit.open(kit.newDir())) {
      fresh.delete();
    }
  }

  /**
   * R5.4: a {@code delete()} of which any one call fails (before reaching storage, or with its response lost),
   * followed by {@code close()}: readers find the backup dir untouched or without a checkpoint, never a
   * half-deleted checkpoint, and the next store removes the rest. If this fails, check that the delete records
   * its intent (a tombstone) before removing anything and that nothing written afterwards hides it.
   */
  @Test
  public void required_R5_4_interruptedDeleteLeavesNoHalfDeletedCheckpoint() throws Exception {
    new InterruptionRules(kit).everyCallOfADeleteFailsInTurn();
  }

  // ========================================================================================== R6 Ownership

  /**
   * R6.1: backup dirs holding foreign objects are refused with {@link ForeignContentException} naming some of
   * them, and every byte stays: random names and contents, the store's own layout names with foreign contents,
   * and a real backup dir plus objects imitating its names.
   */
  @Test
  public void required_R6_1_foreignContentRefusedAndLeftAlone() throws Exception {
    new StorageRules(kit).foreignContentRefused();
  }


  /**
   * R6.2: a backup dir holding another identity's checkpoint is refused with {@link ForeignContentException}
   * naming {@code foreignOwner}, and nothing changes: the other identity still reads its checkpoint.
   */
  @Test
  public void required_R6_2_otherIdentityRefused() throws Exception {
    URI dir = kit.newDir();
    Content theirs = kit.smallContent("theirs");
    String other = "other-owner-" + kit.random().nextInt(1_000_000);
    try (CheckpointStore s = kit.open(dir, kit.rw(other).build())) {
      theirs.commit(s);
    }
    Map<String, byte[]> before = kit.hasRawAccess() ? kit.snapshot(dir) : null;
    try (CheckpointStore s = kit.open(dir)) {
      fail("R6.2: opening a backup dir of owner \"" + other + "\" as \"" + Kit.OWNER + "\" returned a store "
          + "instead of refusing with ForeignContentException; latest() there: " + s.latest().map(
              cp -> cp.metadata().get(Content.LABEL)).orElse("none"));
    } catch (ForeignContentException e) {
      assertEquals(Optional.of(other), e.foreignOwner(), "ForeignContentException.foreignOwner()");
    }
    if (before != null) {
      kit.assertUnchanged(dir, before, "after refusing another identity");
    }
    try (CheckpointStore s = kit.open(dir, kit.rw(other).build())) {
      kit.assertLatestIsOneOf(s, "the owner after another identity was refused", theirs);
    }
  }

  /**
   * R6.3: a second live read-write store on the same backup dir is refused as shared, the holder keeps
   * committing, and once the holder is closed the backup dir is free at once (the kit opens with a one-hour
   * lease timeout, so a missing release would block here). The second store waits up to 30 s for the holder to
   * prove alive, not the fixture's lease timeout: a holder held up by a busy machine for that long may be taken
   * over, as the protocol allows.
   */
  @Test
  public void required_R6_3_secondLiveStoreRefusedClosedStoreReleases() throws Exception {
    URI dir = kit.newDir();
    Content a = kit.smallContent("a");
    Content b = kit.smallContent("b");
    try (CheckpointStore holder = kit.open(dir)) {
      a.commit(holder);
      try (CheckpointStore second = kit.open(dir, kit.rw(Kit.OWNER).leaseTimeout(kit.livenessTimeout()).build())) {
        fail("R6.3: a second read-write store opened on a backup dir held by a live store");
      } catch (SharedBackupDirException expected) {
        // refused
      }
      b.commit(holder);
    }
    StoreOptions hour = kit.rw(Kit.OWNER).leaseTimeout(java.time.Duration.ofHours(1)).build();
    // a store that did not release its claim on close would make this open wait for an hour
    CheckpointStore s = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(
        60), () -> kit.open(dir, hour), "R6.3: a closed store did not release the backup dir: opening it again "
        + "waited for the lease timeout (1 hour here)");
    try {
      kit.assertLatestIsOneOf(s, "after the holder closed", b);
      Content c = kit.smallContent("c");
      c.commit(s);
    } finally {
      s.close();
    }
    try (CheckpointStore again = kit.open(dir, hour)) {
      assertTrue(again.latest().isPresent(), "latest() after reopen");
    }
  }

  /**
   * R6.3: the holder's lease timeout governs a takeover: while a store with a lease timeout of seconds holds the
   * backup dir and heartbeats, stores opened with a lease timeout of 100-200 ms are refused with
   * {@link SharedBackupDirException}, and the holder commits afterwards. If this fails, check that a newcomer
   * judges the holder by the holder's own timeout (recorded in its claim or lease), not by its own.
   */
  @Test
  public void required_R6_3_holderLeaseTimeoutGoverns() throws Exception {
    new RecordRules(kit).holderLeaseTimeoutGoverns();
  }

  /**
   * R6.3 over time: a store holds the backup dir for 4 lease timeouts (1 s, or the fixture's if longer) while
   * another keeps trying to open it; every attempt is refused and the holder commits at the end. If this fails,
   * check that the lease heartbeat really rewrites the lease (every lease timeout / 4) for as long as the store
   * is open.
   */
  @Test
  public void required_R6_3_holderKeepsClaimOverManyLeaseTimeouts() throws Exception {
    new RecordRules(kit).holderKeepsClaimOverManyLeaseTimeouts();
  }

  /**
   * R6.1, R5.2: user files named like temporary files ({@code .ckpt4j-tmp-...}) but not where the store puts its
   * own are foreign: a dir holding them is refused, and nothing (a refusal, a commit, {@code delete()}) removes
   * them; they are observed by raw {@code get}, not through the backend's {@code list()}. If this fails, check
   * that only the store's own temporary names, where it puts them, are skipped or purged.
   */
  @Test
  public void required_R6_1_tempNamedUserFilesAreForeign() throws Exception {
    new RecordRules(kit).tempLookalikesAreForeign();
  }

  /**
   * R6.4: a writer paused (its lease heartbeat blocked, as in a long GC pause) while another store took over
   * the backup dir, committed and closed, and a third opened and committed; then it writes a checkpoint (blobs
   * written after the takeover, so nothing pruned them, and its next log slot freed by the third's prune): its
   * commit raises {@link org.ckpt4j.spi.FencedWriterException}, no log record naming its checkpoint stays (raw
   * {@code get}), and its leftovers are cleaned by the next commit. Needs fault injection. If this fails, check
   * that after creating its commit record a writer lists the log and gives up (removing its record) when a
   * newer record of another store follows.
   */
  @Test
  public void required_R6_4_pausedWriterIsFenced() throws Exception {
    new CrossProcessRules(kit).pausedWriterFenced();
  }

  /**
   * R6.4 across processes ({@link Capability#CROSS_PROCESS}): a child JVM is stopped with SIGSTOP after writing
   * its blobs, this process takes over and commits, the child is continued and commits: it must be fenced.
   */
  @Test
  public void optional_R6_4_sigstoppedWriterInAnotherProcessIsFenced() throws Exception {
    new CrossProcessRules(kit).sigstopPausedWriterFenced();
  }

  // ============================================================================================ R7 Durability

  /**
   * R7.1, R3.1, R6.3 ({@link Capability#CROSS_PROCESS}): a child JVM commits checkpoints in a loop and is killed
   * with SIGKILL at a random moment, {@code ckpt4j.tck.crashTrials} times on one backup dir. After each kill,
   * a read-write open succeeds (after at most the lease timeout) and the latest checkpoint is the last one the
   * child committed or the one it was committing, byte-identical. Afterwards a clean commit leaves no leftovers.
   */
  @Test
  public void stochastic_R7_1_sigkilledWriterLeavesCommittedCheckpoint() throws Exception {
    new CrossProcessRules(kit).sigkillTrials();
  }

  /**
   * R7.2 ({@link Capability#POWER_LOSS_DURABLE}, for a backend over NIO paths: {@code TckFixture.Builder
   * .pathObjects}): on a simulated disk that keeps only what {@code force} and directory fsyncs made durable
   * (LazyFS/ALICE style, {@code ckpt4j.tck.powerCuts} cuts), power is cut at random file system operations of
   * commits, deletes, closes and opens, and at the end of each script. After every cut a fresh store opens on
   * what survived, and latest is the last checkpoint whose commit returned or the one being committed, whole and
   * verified; nothing half-written is taken for a checkpoint. If this fails, check that every file is forced
   * before anything names it, and every directory fsynced after an entry is created, linked or renamed in it
   * before the operation returns. Object stores: untested (durability is the server's).
   */
  @Test
  public void stochastic_R7_2_powerLossKeepsWhatCommitReturned() throws Exception {
    new PowerLossRules(kit).powerCuts();
  }

  // ============================================================================================ R8 Readers

  /**
   * R2.3 and R8 in one process: reader threads (the writing store itself and two read-only stores) read and
   * verify the latest checkpoint in a loop while the writer commits: every read is a complete, verified
   * checkpoint the writer committed, or a {@link SupersededCheckpointException}; never a mix, a partial blob or
   * another error.
   */
  @Test
  public void required_R2_3_readersInThreadsDuringCommitsSeeWholeCheckpoints() throws Exception {
    URI dir = kit.newDir();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
    try (CheckpointStore s = kit.open(dir); CheckpointStore r1 = kit.openReadOnly(dir);
        CheckpointStore r2 = kit.openReadOnly(dir)) {
      kit.smallContent("first").commit(s);
      List<Future<?>> fs = new ArrayList<>();
      for (CheckpointStore reader : List.of(s, r1, r2)) {
        fs.add(pool.submit(() -> {
          while (!done.get()) {
            Checkpoint cp = reader.latest().orElseThrow(() -> new AssertionError("latest() became empty"));
            Content c = Content.fromMetadata(cp.metadata()).orElseThrow(() -> new AssertionError(
                "R2.3: latest() returned a checkpoint without the kit's metadata: " + cp.metadata()));
            try {
              c.verify(cp);
              reads.incrementAndGet();
            } catch (SupersededCheckpointException expected) {
              // a commit removed it while it was read: allowed (R2.4)
            }
          }
          return null;
        }));
      }
      for (int i = 0; i < 60 && fs.stream().noneMatch(Future::isDone); i++) {
        // at least two blobs: a mix of two checkpoints needs two
        Content.random("w" + i, kit.random(), 3, 200_000).nonEmpty(kit.random()).withBlobs(2, kit.random())
            .commit(s);
      }
      done.set(true);
      for (Future<?> f : fs) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new AssertionError("R2.3/R8: a reader thread reading during commits observed: " + e.getCause()
              + "; " + kit.reproduce(), e.getCause());
        }
      }
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
    assertTrue(reads.get() > 0, "the reader threads completed no read");
  }

  /**
   * R8 ({@link Capability#CROSS_PROCESS}): readers in two other processes read and verify the latest checkpoint
   * in a loop while this process commits: every read is a complete, verified checkpoint or a
   * {@link SupersededCheckpointException}.
   */
  @Test
  public void optional_R8_readersInOtherProcessesDuringCommits() throws Exception {
    new CrossProcessRules(kit).readersInOtherProcesses();
  }


  /**
   * R8: a read-only store never writes (with raw access: storage unchanged byte for byte), cannot begin a
   * writer, opens on an empty backup dir and sees later commits.
   */
  @Test
  public void required_R8_readOnlyStoreNeverWrites() throws Exception {
    URI dir = kit.newDir();
    try (CheckpointStore ro = kit.openReadOnly(dir)) {
      assertTrue(ro.latest().isEmpty(), "latest() of an empty backup dir");
      assertThrows(IllegalStateException.class, ro::begin, "begin() on a read-only store");
      Content c = kit.smallContent("c");
      try (CheckpointStore rw = kit.open(dir)) {
        c.commit(rw);
      }
      kit.assertLatestIsOneOf(ro, "a read-only store opened on an empty dir, after a commit", c);
      Map<String, byte[]> before = kit.hasRawAccess() ? kit.snapshot(dir) : null;
      try (CheckpointStore ro2 = kit.openReadOnly(dir)) {
        kit.assertLatestIsOneOf(ro2, "a second read-only store", c);
        assertThrows(IllegalStateException.class, ro2::delete, "delete() on a read-only store");
      }
      if (before != null) {
        Map<String, byte[]> after = kit.snapshot(dir);
        assertEquals(before.keySet(), after.keySet(), "R8: objects after read-only opens and reads");
        kit.assertUnchanged(dir, before, "R8: after read-only opens and reads");
      }
    }
  }

  // =========================================================================================== Resume (E2E)

  /**
   * End-to-end: the kit's pure-Java reference loop fits a small MLP with {@code ckpt4j-resume}'s
   * {@code BackupAndRestore} (the code the ND4J trainer goes through) on this
   * backend, saving every 5 batches; callbacks throw at random batches and (with fault injection) storage calls
   * fail during saves; each interruption is followed by a rerun on the same backup dir; a final run without
   * interruption ends with weights bit-identical to an uninterrupted run.
   */
  @Test
  public void required_RESUME_afterExceptionsAndStorageFaultsBitIdentical() throws Exception {
    new ResumeRules(kit).exceptionsAndStorageFaults();
  }

  /**
   * End-to-end ({@link Capability#CROSS_PROCESS}): a child JVM training with {@code BackupAndRestore} on this
   * backend is SIGKILLed at random moments, twice; a third child trains to completion with weights
   * bit-identical to an uninterrupted run. While the first child trains, a second training run on the same
   * backup dir in this JVM is refused as shared (R6.3).
   */
  @Test
  public void stochastic_RESUME_afterSigkillBitIdentical() throws Exception {
    new ResumeRules(kit).sigkilledTraining();
  }

  static void drain(Checkpoint cp, String name) throws IOException {
    try (var ch = cp.openBlob(name)) {
      ByteBuffer b = ByteBuffer.allocate(64 * 1024);
      while (ch.read(b) >= 0) {
        b.clear();
      }
    }
  }
}
