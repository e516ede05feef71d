package org.ckpt4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;
import org.ckpt4j.spi.Capability;
import org.ckpt4j.storage.local.LocalStoreProvider;
import org.ckpt4j.tck.broken.BrokenStores;
import org.ckpt4j.tck.broken.Flaw;
import org.ckpt4j.tck.broken.WireFaults;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The TCK tested itself (Reactive Streams TCK's {@code requireTestFailure}): the kit runs, through the JUnit
 * Platform Launcher, against deliberately broken stores, and the rule each one breaks must fail with a message
 * that says what was observed.
 */
class BrokenStoreSelfTest {

  /** The kit against one flawed store. */
  abstract static class BrokenCase extends CheckpointStoreTck {
    abstract Flaw flaw();

    /** More of the fixture, for a case that needs it. */
    TckFixture.Builder more(TckFixture.Builder b) {
      return b;
    }

    @Override
    protected TckFixture fixture() {
      Flaw f = flaw();
      return more(TckFixture.builder(() -> URI.create("broken:" + f.name().toLowerCase(Locale.ROOT) + "/"
              + UUID.randomUUID()))
          .capabilities()
          .objects((dir, options) -> BrokenStores.objects(f, dir), (objects, options) -> BrokenStores.build(f,
              objects, options))
          .interruptionTrials(30))
          .build();
    }
  }

  /** The local backend's objects over a directory of any file system (the power-loss disk's too). */
  static final TckFixture.PathObjects LOCAL = (root, options) -> new LocalStoreProvider().objectStore(root
      .toUri(), options).orElseThrow();

  /** A flaw of the local backend's durability, under R7.2 on the simulated power-loss disk. */
  abstract static class BrokenDurability extends BrokenCase {
    /** The barriers the simulated disk drops (as if the store never called them); none by default. */
    java.util.function.Predicate<String> dropped() {
      return op -> false;
    }

    @Override
    TckFixture.Builder more(TckFixture.Builder b) {
      return b.capabilities(Capability.POWER_LOSS_DURABLE).pathObjects(LOCAL)
          .powerLossDisks(() -> new PowerLossDisk(dropped())).powerCuts(60);
    }
  }

  static final class PackNeverForced extends BrokenDurability {
    @Override
    Flaw flaw() {
      return Flaw.PACK_NEVER_FORCED;
    }

    @Override
    java.util.function.Predicate<String> dropped() {
      return op -> op.startsWith("force ") && op.contains("/data/");
    }
  }

  static final class RecordDirNotSynced extends BrokenDurability {
    @Override
    Flaw flaw() {
      return Flaw.RECORD_DIR_NOT_SYNCED;
    }

    @Override
    java.util.function.Predicate<String> dropped() {
      return op -> op.startsWith("fsync-dir ") && op.endsWith("/log");
    }
  }

  static final class SyncAfterRecord extends BrokenDurability {
    @Override
    Flaw flaw() {
      return Flaw.SYNC_AFTER_RECORD;
    }
  }

  /** The local backend on Jimfs whose purge of incomplete writes is never called at open (R3.2). */
  static final class NoPurgeAtOpen extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NO_PURGE_AT_OPEN;
    }

    @Override
    TckFixture.Builder more(TckFixture.Builder b) {
      return b.pathObjects(LOCAL);
    }
  }

  static final class NoPostCreateFence extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NO_POST_CREATE_FENCE;
    }
  }

  private static final java.nio.file.FileSystem JIMFS = com.google.common.jimfs.Jimfs.newFileSystem("selftest",
      com.google.common.jimfs.Configuration.unix());

  /** The flawed protocol over the local backend: on the disk ({@code file:}) or on Jimfs. */
  abstract static class BrokenLocal extends CheckpointStoreTck {
    abstract Flaw flaw();

    abstract java.nio.file.Path parent() throws java.io.IOException;

    @Override
    protected TckFixture fixture() {
      Flaw f = flaw();
      return TckFixture.builder(() -> java.nio.file.Files.createTempDirectory(parent(), "d").resolve("backup")
              .toUri())
          .capabilities()
          .objects((dir, options) -> new LocalStoreProvider().objectStore(dir, options).orElseThrow(),
              (objects, options) -> BrokenStores.build(f, objects, options))
          .build();
    }
  }

  static final class NoPostCreateFenceOnDisk extends BrokenLocal {
    @Override
    Flaw flaw() {
      return Flaw.NO_POST_CREATE_FENCE;
    }

    @Override
    java.nio.file.Path parent() throws java.io.IOException {
      return java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "selftest-dirs")
          .toAbsolutePath());
    }
  }

  static final class NoPostCreateFenceOnJimfs extends BrokenLocal {
    @Override
    Flaw flaw() {
      return Flaw.NO_POST_CREATE_FENCE;
    }

    @Override
    java.nio.file.Path parent() throws java.io.IOException {
      return java.nio.file.Files.createDirectories(JIMFS.getPath("/selftest"));
    }
  }

  static final class NonAtomicCommit extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NON_ATOMIC_COMMIT;
    }
  }

  static final class NoFencing extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NO_FENCING;
    }
  }

  static final class DeletesForeign extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.DELETES_FOREIGN;
    }
  }

  static final class IgnoresIdentity extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.IGNORES_IDENTITY;
    }
  }

  static final class UnverifiedData extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.UNVERIFIED_DATA;
    }
  }

  static final class PartialBlobsVisible extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.PARTIAL_BLOBS_VISIBLE;
    }

    @Override
    protected TckFixture fixture() {
      // QuickTheories stops at the first failing sequence: a high limit costs nothing when the flaw is caught
      return TckFixture.builder(() -> URI.create("broken:partial_blobs_visible/" + UUID.randomUUID()))
          .capabilities()
          .objects((dir, options) -> BrokenStores.objects(dir), (objects, options) -> BrokenStores.build(flaw(),
              objects, options))
          .sequences(300)
          .build();
    }
  }

  static final class ForgetsLeftovers extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.FORGETS_LEFTOVERS;
    }
  }

  static final class RestartsLeaveATrail extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.RESTARTS_LEAVE_A_TRAIL;
    }
  }

  static final class RangedReadsInexact extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.RANGED_READS_INEXACT;
    }
  }

  static final class PrunesUnreadable extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.PRUNES_UNREADABLE;
    }
  }

  static final class OwnLeaseTimeout extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.OWN_LEASE_TIMEOUT;
    }
  }

  static final class TmpNamesAreOurs extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.TMP_NAMES_ARE_OURS;
    }
  }

  static final class RoPreviousUnkept extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.RO_PREVIOUS_UNKEPT;
    }
  }

  static final class OverwritingCreate extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.OVERWRITING_CREATE;
    }
  }

  static final class FirstPageOnly extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.FIRST_PAGE_ONLY;
    }
  }

  static final class DeleteMissingThrows extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.DELETE_MISSING_THROWS;
    }
  }

  static final class SwallowsDeleteErrors extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.SWALLOWS_DELETE_ERRORS;
    }

    @Override
    protected TckFixture fixture() {
      WireFaults wire = BrokenStores.wire("swallows", new WireFaults());
      return TckFixture.builder(() -> URI.create("broken:swallows_delete_errors/swallows." + UUID.randomUUID()))
          .capabilities()
          .objects((dir, options) -> BrokenStores.objects(flaw(), dir, wire), (objects, options) -> BrokenStores
              .build(flaw(), objects, options))
          .transportFaults(wire)
          .build();
    }
  }

  /** The correct store with a correct transport fault hook: the rules on the hook pass. */
  static class CorrectWithHook extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NONE;
    }

    WireFaults wire() {
      return new WireFaults();
    }

    @Override
    protected TckFixture fixture() {
      String tag = getClass().getSimpleName();
      WireFaults wire = BrokenStores.wire(tag, wire());
      return TckFixture.builder(() -> URI.create("broken:none/" + tag + "." + UUID.randomUUID()))
          .capabilities()
          .objects((dir, options) -> BrokenStores.objects(Flaw.NONE, dir), (objects, options) -> BrokenStores
              .build(Flaw.NONE, objects, options))
          .transportFaults(wire)
          .interruptionTrials(60) // a dozen transport-fault trials or so, at least 3
          .build();
    }
  }

  /** Not a broken store but a broken fixture: a transport fault hook that reads failRequest(n) as absolute. */
  static final class HookCountsAbsolute extends CorrectWithHook {
    @Override
    WireFaults wire() {
      return new WireFaults(true);
    }
  }

  /** The rules that must fail on a broken hook pass on a correct one (so they fail for the flaw). */
  @org.junit.jupiter.api.Test
  void correctHookPassesTheHookRules() {
    TestExecutionSummary s = run2(CorrectWithHook.class, "required_transportFaultHookSeesRequests",
        "required_R3_1_randomizedInterruptionsLeavePreviousOrNewWhole");
    assertThat(s.getFailures()).as("failures").isEmpty();
    assertThat(s.getTestsSucceededCount()).isEqualTo(2);
  }

  static final class DeletesNeighbours extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.DELETES_NEIGHBOURS;
    }
  }

  static final class LeaseNeverRenews extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.LEASE_NEVER_RENEWS;
    }

    @Override
    protected TckFixture fixture() {
      Flaw f = flaw();
      // a second store waits 3 s (not 30) for the holder to prove alive: long enough for any live heartbeat
      return TckFixture.builder(() -> URI.create("broken:lease_never_renews/" + UUID.randomUUID()))
          .capabilities()
          .objects((dir, options) -> BrokenStores.objects(f, dir), (objects, options) -> BrokenStores.build(f,
              objects, options))
          .livenessTimeout(java.time.Duration.ofSeconds(3))
          .build();
    }
  }

  static final class UnverifiedLargeBlobs extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.UNVERIFIED_LARGE_BLOBS;
    }
  }

  static final class ReadIntoSkipsLast extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.READ_INTO_SKIPS_LAST;
    }
  }

  static final class MisreportsCapabilities extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.MISREPORTS_CAPABILITIES;
    }
  }

  static final class ManglesMetadata extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.MANGLES_METADATA;
    }
  }

  static final class NoNameValidation extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NO_NAME_VALIDATION;
    }
  }

  static final class AllowsTwoWriters extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.ALLOWS_TWO_WRITERS;
    }
  }

  static final class EagerPublish extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.EAGER_PUBLISH;
    }
  }

  static final class StaleLatest extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.STALE_LATEST;
    }
  }

  static final class NoPrevious extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.NO_PREVIOUS;
    }
  }

  static final class DeleteOnlyCloses extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.DELETE_ONLY_CLOSES;
    }
  }

  static final class DeletesDataFirst extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.DELETES_DATA_FIRST;
    }
  }

  static final class ForeignBlind extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.FOREIGN_BLIND;
    }
  }

  static final class ReadOnlyWrites extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.READ_ONLY_WRITES;
    }
  }

  /** A flawed store over files (the dirstore backend), so that child JVMs share it: the cross-process rules. */
  abstract static class BrokenInProcesses extends BrokenCase {
    @Override
    protected TckFixture fixture() {
      Flaw f = flaw();
      return TckFixture.builder(() -> URI.create("brokendir:" + f.name().toLowerCase(Locale.ROOT)
              + java.nio.file.Files.createTempDirectory(java.nio.file.Files.createDirectories(java.nio.file.Path.of(
                  "target", "selftest-dirs").toAbsolutePath()), "d").resolve("backup").toString()))
          .capabilities(org.ckpt4j.spi.Capability.CROSS_PROCESS)
          .objects((dir, options) -> BrokenStores.objects(f, dir), (objects, options) -> BrokenStores.build(f,
              objects, options))
          .crashTrials(40)
          .build();
    }
  }

  static final class OverwritingCreateInProcesses extends BrokenInProcesses {
    @Override
    Flaw flaw() {
      return Flaw.OVERWRITING_CREATE;
    }
  }

  static final class NoFencingInProcesses extends BrokenInProcesses {
    @Override
    Flaw flaw() {
      return Flaw.NO_FENCING;
    }
  }

  static final class NonAtomicCommitInProcesses extends BrokenInProcesses {
    @Override
    Flaw flaw() {
      return Flaw.NON_ATOMIC_COMMIT;
    }
  }

  /** RESUME: a store whose latest() returns the kept previous checkpoint (resumes are older, yet bit-identical). */
  static final class LatestIsPrevious extends BrokenCase {
    @Override
    Flaw flaw() {
      return Flaw.LATEST_IS_PREVIOUS;
    }
  }

  static final class LatestIsPreviousInProcesses extends BrokenInProcesses {
    @Override
    Flaw flaw() {
      return Flaw.LATEST_IS_PREVIOUS;
    }
  }

  static List<Arguments> expectations() {
    return List.of(
        Arguments.of(NonAtomicCommit.class, "required_R3_1_everyCallOfACommitFailsInTurn",
            "a mix or a partial checkpoint"),
        Arguments.of(NoFencing.class, "required_R6_4_pausedWriterIsFenced",
            "instead of raising FencedWriterException"),
        Arguments.of(DeletesForeign.class, "required_R5_2_deleteRemovesOwnObjectsOnly",
            "foreign objects were not left alone"),
        Arguments.of(IgnoresIdentity.class, "required_R6_2_otherIdentityRefused",
            "returned a store instead of refusing with ForeignContentException"),
        Arguments.of(UnverifiedData.class, "required_R4_2_bitFlipsAndTruncationsDetected",
            "returned wrong data at offset"),
        Arguments.of(PartialBlobsVisible.class, "required_R3_1_randomizedInterruptionsLeavePreviousOrNewWhole",
            "R3.1 after trial"),
        Arguments.of(PartialBlobsVisible.class, "required_R1_R2_R4_R5_modelBasedSequences",
            "model-based sequence failed"),
        Arguments.of(RangedReadsInexact.class, "required_R4_4_rangedReadsExact",
            "open(key, 0, 10) returned"),
        Arguments.of(ForgetsLeftovers.class, "required_R3_2_leftoversRemovedByNextOpenAndCommit",
            "leftovers of failed writes were not removed"),
        Arguments.of(RestartsLeaveATrail.class, "required_R3_3_restartsLeaveNoTrail", "restarts leave a trail"),
        Arguments.of(PrunesUnreadable.class, "required_R4_5_unreadableRecordNeverDeletesData",
            "removed data that record names"),
        Arguments.of(OwnLeaseTimeout.class, "required_R6_3_holderLeaseTimeoutGoverns",
            "took over"),
        Arguments.of(TmpNamesAreOurs.class, "required_R6_1_tempNamedUserFilesAreForeign",
            "was opened read-write instead of refused"),
        Arguments.of(RoPreviousUnkept.class, "required_R4_3_readOnlyPreviousOnlyWhenKept",
            "although the backup dir was written without keepPrevious"),
        Arguments.of(OverwritingCreate.class, "required_R0_1_createIfAbsentExclusiveAcrossThreads",
            "create-if-absent is not exclusive"),
        Arguments.of(OverwritingCreate.class, "required_R0_2_racingOpensOnFreshDirAtMostOneHolds",
            "at most one may hold it"),
        Arguments.of(FirstPageOnly.class, "required_R0_3_listReturnsEveryObjectPastPageSizes",
            "4003 missing"),
        Arguments.of(DeleteMissingThrows.class, "required_R0_4_deleteOfMissingIsNoOpAndFailuresRaise",
            "delete() of a missing object raised java.nio.file.NoSuchFileException"),
        Arguments.of(SwallowsDeleteErrors.class, "required_R0_4_deleteOfMissingIsNoOpAndFailuresRaise",
            "returned normally with the object still there"),
        Arguments.of(DeletesNeighbours.class, "required_R5_2_deleteRemovesOwnObjectsOnly",
            "foreign objects were not left alone"),
        Arguments.of(LeaseNeverRenews.class, "required_R6_3_holderKeepsClaimOverManyLeaseTimeouts",
            "the holder's heartbeat must keep its claim alive"),
        Arguments.of(UnverifiedLargeBlobs.class, "required_R4_2_largeFirstMiddleLastBlobsVerified",
            "of blob m-middle"),
        Arguments.of(ReadIntoSkipsLast.class, "required_R4_2_largeFirstMiddleLastBlobsVerified",
            "of blob z-last"),
        Arguments.of(MisreportsCapabilities.class, "required_capabilitiesReportedAsDeclared", "capabilities()"),
        Arguments.of(ManglesMetadata.class, "required_R1_1_blobsOfAnySizeAndMetadataRoundTrip", "other metadata"),
        Arguments.of(NoNameValidation.class, "required_R1_2_blobNamesAreValidated", "blob name"),
        Arguments.of(AllowsTwoWriters.class, "required_R1_3_oneWriterAtATimeBlobsFromManyThreads",
            "begin() while a writer is open"),
        Arguments.of(EagerPublish.class, "required_R2_1_previousVisibleUntilCommitReturnsThenNew", "before commit"),
        Arguments.of(StaleLatest.class, "required_R4_1_latestIsNewestOrEmpty", "latest() is empty right after"),
        Arguments.of(NoPrevious.class, "required_R4_3_previousIsFallbackWhenLatestCorrupt",
            "previous() is empty instead of the fallback"),
        Arguments.of(NoPrevious.class, "required_R2_4_keepPreviousKeepsExactlyOne", "previous() is empty"),
        Arguments.of(DeleteOnlyCloses.class, "required_R5_1_deletedBackupDirIsEmptyAndDeleteIsIdempotent",
            "begin() after delete()"),
        Arguments.of(DeletesDataFirst.class, "required_R5_4_interruptedDeleteLeavesNoHalfDeletedCheckpoint",
            "R5.4"),
        Arguments.of(ForeignBlind.class, "required_R6_1_foreignContentRefusedAndLeftAlone",
            "instead of refused"),
        Arguments.of(ReadOnlyWrites.class, "required_R8_readOnlyStoreNeverWrites", "objects after read-only"),
        Arguments.of(NonAtomicCommit.class, "required_R2_3_readersInThreadsDuringCommitsSeeWholeCheckpoints",
            "reading during commits observed"),
        Arguments.of(ForgetsLeftovers.class, "required_R2_4_previousDataRemovedAfterCommit",
            "superseded"),
        Arguments.of(LeaseNeverRenews.class, "required_R6_3_secondLiveStoreRefusedClosedStoreReleases",
            "a second read-write store opened on a backup dir held by a live store"),
        Arguments.of(OverwritingCreateInProcesses.class, "required_R0_1_createIfAbsentExclusiveAcrossProcesses",
            "create-if-absent is not exclusive"),
        Arguments.of(NoFencingInProcesses.class, "required_R6_4_sigstoppedWriterInAnotherProcessIsFenced",
            "was not fenced"),
        Arguments.of(NonAtomicCommitInProcesses.class, "required_R7_1_sigkilledWriterLeavesCommittedCheckpoint",
            "R7.1"),
        Arguments.of(NonAtomicCommitInProcesses.class, "required_R8_readersInOtherProcessesDuringCommits", "R8"),
        Arguments.of(HookCountsAbsolute.class, "required_transportFaultHookSeesRequests",
            "armed faults never fired"),
        Arguments.of(HookCountsAbsolute.class, "required_R3_1_randomizedInterruptionsLeavePreviousOrNewWhole",
            "transport faults armed during the trials fired"),
        Arguments.of(NoPostCreateFence.class, "required_R6_4_pausedWriterIsFenced",
            "instead of raising FencedWriterException"),
        Arguments.of(NoPostCreateFenceOnDisk.class, "required_R6_4_pausedWriterIsFenced",
            "instead of raising FencedWriterException"),
        Arguments.of(NoPostCreateFenceOnJimfs.class, "required_R6_4_pausedWriterIsFenced",
            "instead of raising FencedWriterException"),
        Arguments.of(NoPurgeAtOpen.class, "required_R3_2_leftoversRemovedByNextOpenAndCommit",
            "files that the backend's list() does not show remain"),
        Arguments.of(PackNeverForced.class, "required_R7_2_powerLossKeepsWhatCommitReturned",
            "although it should be whole"),
        Arguments.of(RecordDirNotSynced.class, "required_R7_2_powerLossKeepsWhatCommitReturned",
            "expected one of"),
        Arguments.of(SyncAfterRecord.class, "required_R7_2_powerLossKeepsWhatCommitReturned",
            "although it should be whole"),
        Arguments.of(LatestIsPrevious.class, "required_RESUME_afterExceptionsAndStorageFaultsBitIdentical",
            "RESUME: a rerun resumed from checkpoint"),
        Arguments.of(LatestIsPreviousInProcesses.class, "required_RESUME_afterSigkillBitIdentical",
            "RESUME: a training child resumed from"));
  }

  @ParameterizedTest(name = "{0} is caught by {1}")
  @MethodSource("expectations")
  void brokenStoreIsCaughtByTheRuleItBreaks(Class<? extends CheckpointStoreTck> broken, String rule,
      String observed) {
    TestExecutionSummary summary = run(broken, rule);
    assertThat(summary.getTestsFoundCount()).as("tests found").isEqualTo(1);
    List<String> failures = summary.getFailures().stream().map(f -> f.getTestIdentifier().getDisplayName()
        + ": " + f.getException()).collect(Collectors.toList());
    summary.getFailures().forEach(f -> System.out.println("caught as expected: " + f.getException()));
    assertThat(failures).as("%s must fail on %s", rule, broken.getSimpleName()).hasSize(1);
    assertThat(failures.get(0)).contains(rule).contains(observed);
  }

  /**
   * A failing property-based run is reproducible from the printed seed: the same seed gives the same shrunk
   * script; and the run's summary says what failed and that the backend is not certified.
   */
  @org.junit.jupiter.api.Test
  void failureIsReproducibleFromItsSeedAndTheSummarySaysNotCertified() throws Exception {
    String key = "ckpt4j.tck.seed";
    String old = System.getProperty(key);
    try {
      System.setProperty(key, "424242");
      String first = failureOf(run(PartialBlobsVisible.class, "required_R1_R2_R4_R5_modelBasedSequences"));
      String second = failureOf(run(PartialBlobsVisible.class, "required_R1_R2_R4_R5_modelBasedSequences"));
      assertThat(first).contains("Smallest found falsifying value").contains("-Dckpt4j.tck.seed=424242");
      assertThat(shrunk(second)).isEqualTo(shrunk(first));
    } finally {
      if (old == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, old);
      }
    }
    TestExecutionSummary s = run2(IgnoresIdentity.class, "required_R6_2_otherIdentityRefused",
        "required_R4_1_latestIsNewestOrEmpty");
    assertThat(s.getTestsFailedCount()).isEqualTo(1);
    String summary = java.nio.file.Files.readString(java.nio.file.Path.of("target/ckpt4j-tck",
        IgnoresIdentity.class.getName() + ".txt"));
    assertThat(summary).contains("rules: 1 passed, 1 failed, 0 skipped  -> NOT certified")
        .contains("required_R6_2_otherIdentityRefused").contains("FAILED: R6.2")
        .contains("-Dckpt4j.tck.seed=");
  }

  /** The shrunk script QuickTheories reports (the rest of its message carries stack traces). */
  private static String shrunk(String message) {
    int from = message.indexOf("Smallest found falsifying value");
    int to = message.indexOf("Cause was");
    assertThat(from).as("message %s", message).isNotNegative();
    return message.substring(from, to < 0 ? message.length() : to);
  }

  private static String failureOf(TestExecutionSummary s) {
    assertThat(s.getFailures()).hasSize(1);
    return String.valueOf(s.getFailures().get(0).getException().getMessage());
  }

  static TestExecutionSummary run2(Class<?> testClass, String m1, String m2) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectMethod(testClass, m1), selectMethod(testClass, m2)).build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request, listener);
    return listener.getSummary();
  }

  static TestExecutionSummary run(Class<?> testClass, String method) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectMethod(testClass, method)).build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    return listener.getSummary();
  }
}
