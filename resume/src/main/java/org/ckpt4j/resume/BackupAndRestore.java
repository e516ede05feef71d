package org.ckpt4j.resume;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keras's {@code BackupAndRestore} with exact resume, for any JVM trainer that hands over its state as a
 * {@link ResumableRun}: if a fit is interrupted (an exception, a killed process), the next fit with the same
 * backup dir restores the last backup and continues, ending bit-identical to a run that was never interrupted.
 * The trainer calls {@link #begin} when its fit starts, {@link #afterBatch} and {@link #afterEpoch} after every
 * batch and epoch (after its other callbacks), then {@link #checkPreemption}, {@link #end} when the fit
 * completes, and {@link #release} in a {@code finally}. The ND4J trainer ({@code ckpt4j-trainer}) does so in
 * {@code Sequential.fit}.
 *
 * <ul>
 *   <li><b>When it saves</b> ({@link SaveFreq}): at the end of every epoch (default), every N batches (counted
 *       over the whole run), or never (restore only).</li>
 *   <li><b>What a backup holds</b>: the run's tensors (weights, optimizer slots), the optimizer's step and
 *       learning rate, the epoch and batch position, the epoch's shuffle order and running sums, the RNG state,
 *       every {@link StatefulState}'s state, and the numeric environment. Layout ({@link BlobLayout}):
 *       {@code manifest.json} ({@link TrainingManifest}) plus one NumPy {@code .npy} blob per tensor. A resume
 *       from a mid-epoch backup continues with the next batch; it does not replay the epoch.</li>
 *   <li><b>Run identity</b>: the store is opened with the run's {@link RunFingerprint} as owner; a backup of
 *       another run is refused with {@link RunMismatchException} naming the differing fields. The number of
 *       epochs is not part of it: a finished run kept with {@code deleteCheckpoint(false)} can be extended.</li>
 *   <li><b>When the latest backup is unreadable</b> ({@link CorruptCheckpointException}): with
 *       {@code keepPrevious(true)} it falls back to the previous one and logs a warning; otherwise the fit
 *       fails. It never silently starts over on top of an existing backup.</li>
 *   <li><b>Async save</b> ({@code asyncSave(true)}): training blocks only while the state is copied once into
 *       reused direct memory; the copy is committed on a background thread, the bytes a synchronous save writes
 *       (at most one in flight, none dropped; a failure is reported by the next save or by the end).</li>
 *   <li><b>When the fit completes</b>, the backup is deleted ({@code deleteCheckpoint(true)}, default);
 *       otherwise the final state is saved (unless {@code SaveFreq.NEVER}). A fit that resumed and trained
 *       nothing keeps the backup either way, and logs a warning.</li>
 *   <li><b>Where the backup dir is</b>: a URI or path, or a {@link StoreOpener} that opens the store with the
 *       options this class chooses (a test passes a decorated store this way), or a store the caller opened.</li>
 * </ul>
 * One instance serves one fit at a time.
 */
public class BackupAndRestore {
  private static final Logger LOG = LoggerFactory.getLogger(BackupAndRestore.class);

  private final BackupDir dir;
  private final CheckpointStore givenStore;
  private final SaveFreq saveFreq;
  private final boolean deleteCheckpoint;
  private final boolean keepPrevious;
  private final boolean asyncSave;
  private final boolean saveBeforePreemption;
  private Preemption preemption;

  // per fit
  private CheckpointStore store;
  private Saves saves;
  /** Whether this fit writes backups: always, except in a replica other than the chief. */
  private boolean writer = true;
  private long savedAtStep = -1;
  private int savedAtEpoch = -1;
  private Checkpoint restoredFrom;
  private boolean restoredFromPrevious;
  private TrainingManifest restoredManifest;
  private TrainingPosition restoredAt;
  private boolean keptUntrained;

  /** Backs up to {@code backupDir} (a URI such as {@code s3://bucket/run-1}, or a path) every epoch. */
  public BackupAndRestore(String backupDir) {
    this(builder(backupDir));
  }

  /** For subclasses that adapt it to a trainer's callback type (the ND4J trainer's). */
  protected BackupAndRestore(Builder b) {
    this.givenStore = b.store;
    this.saveFreq = b.saveFreq;
    this.deleteCheckpoint = b.deleteCheckpoint;
    this.keepPrevious = b.store != null ? b.store.options().keepPrevious() : b.keepPrevious;
    this.dir = new BackupDir(b.opener, b.store, keepPrevious, b.leaseTimeout, Map.copyOf(b.properties));
    this.asyncSave = b.asyncSave;
    this.saveBeforePreemption = b.saveBeforePreemption;
  }

  /** A backup dir given as a URI string or a file system path, opened with the SPI's {@code CheckpointStores}. */
  public static Builder builder(String backupDir) {
    return new Builder(StoreOpener.of(backupDir), null);
  }

  /** A backup dir given as a URI; the same as {@link #builder(String)} of its text. */
  public static Builder builder(URI backupDir) {
    return new Builder(StoreOpener.of(backupDir), null);
  }

  /** A backup dir opened by {@code opener} with the options this class chooses (owner, lease, properties). */
  public static Builder builder(StoreOpener opener) {
    return new Builder(Objects.requireNonNull(opener, "opener"), null);
  }

  /**
   * A store the caller opened (and closes): its owner identity must be this run's fingerprint, so this is for
   * tests and tools that wrap a store; prefer a location or a {@link StoreOpener}. With
   * {@code deleteCheckpoint(true)} a completed fit deletes the store's backup, which also closes it.
   */
  public static Builder builder(CheckpointStore store) {
    return new Builder(null, Objects.requireNonNull(store, "store"));
  }

  /** When this instance saves: {@link SaveFreq#EPOCH} (the default), every N batches, or never. */
  public SaveFreq saveFreq() {
    return saveFreq;
  }

  /** The checkpoint the last (or current) fit resumed from; empty if it started from scratch. */
  public Optional<Checkpoint> restoredCheckpoint() {
    return Optional.ofNullable(restoredFrom);
  }

  /** The manifest of the checkpoint the last (or current) fit resumed from, typed; empty if none. */
  public Optional<TrainingManifest> restoredManifest() {
    return Optional.ofNullable(restoredManifest);
  }

  /** Whether the last fit resumed from the kept previous checkpoint because the latest was unreadable. */
  public boolean restoredFromPrevious() {
    return restoredFromPrevious;
  }

  /**
   * Whether the last fit resumed from a backup that already had all the epochs it asked for, trained nothing,
   * and therefore kept the backup (even with {@code deleteCheckpoint(true)}).
   */
  public boolean keptUntrained() {
    return keptUntrained;
  }

  /** Backups the last (or current) fit committed. */
  public int savesWritten() {
    return saves == null ? 0 : saves.written();
  }

  /**
   * The checkpoint the last (or current) fit's latest synchronous save committed; empty if none did (or saves
   * are async). A rerun must resume from it or a newer one: a test's way to check a store's {@code latest()}.
   */
  public Optional<Checkpoint> lastSaved() {
    return Optional.ofNullable(saves == null ? null : saves.lastSaved());
  }

  // ---- called by the trainer ----

  /**
   * The fit begins: opens (or, for a replica, reads) the backup dir and restores the latest backup into
   * {@code run} if there is one; called before the trainer's other callbacks see the run.
   */
  public void begin(ResumableRun run) throws IOException {
    restoredFrom = null;
    restoredManifest = null;
    restoredFromPrevious = false;
    keptUntrained = false;
    savedAtStep = -1;
    savedAtEpoch = -1;
    saves = null;
    List<StatefulState> stateful = checkKeys(run.stateful());
    Capture capture = new Capture(run, stateful);
    RunFingerprint fp = run.fingerprint();
    ReplicaGroup replicas = run.replicas();
    writer = replicas == null || replicas.rank() == 0;
    if (writer) {
      store = dir.openWriter(fp);
    }
    if (replicas != null) {
      replicas.barrier(); // the chief has claimed (and, if new, created) the backup dir before the others read it
      if (!writer) {
        store = dir.openReader(fp);
      }
    }
    saves = new Saves(store, capture, asyncSave);
    Restorer restorer = new Restorer(run, stateful, capture);
    try {
      Optional<Checkpoint> latest = store.latest();
      if (latest.isPresent()) {
        restoredManifest = restorer.restore(latest.get(), store.uri());
        restoredFrom = latest.get();
      }
    } catch (CorruptCheckpointException e) {
      fallBack(restorer, e);
    }
    if (restoredFrom != null) {
      TrainingPosition p = run.position();
      restoredAt = p;
      savedAtStep = p.globalStep();
      savedAtEpoch = p.epoch();
      LOG.info("{}: restored checkpoint #{}{}: {} epochs and {} batches done (step {}); resuming in epoch {}",
          Redaction.redact(store.uri()), restoredFrom.sequence(), restoredFromPrevious ? " (the previous one)" : "",
          p.epoch(), p.batch(), p.globalStep(), p.epoch() + 1);
    }
    if (replicas != null) {
      BackupDir.agree(replicas, restoredFrom, store);
    } else if (saveBeforePreemption) {
      preemption = new Preemption(this::abortNow, run::beforeSignalMessage);
      preemption.install();
    }
    if (writer && asyncSave && !saveFreq.equals(SaveFreq.NEVER)) {
      saves.prepare(run);
    }
  }

  private static List<StatefulState> checkKeys(List<StatefulState> stateful) {
    Set<String> keys = new HashSet<>();
    for (StatefulState c : stateful) {
      String key = c.stateKey();
      if (!CallbackState.validName(key) || !keys.add(key)) {
        throw new IllegalArgumentException("callbacks: stateKey \"" + key + "\" of " + c.getClass().getName()
            + " must be unique and match [A-Za-z0-9._-]{1,100}");
      }
    }
    return List.copyOf(stateful);
  }

  private void fallBack(Restorer restorer, CorruptCheckpointException e) throws IOException {
    URI uri = store.uri();
    if (!keepPrevious) {
      throw new CorruptCheckpointException(uri, e.objectName().orElse(null), "the latest backup is unreadable ("
          + e.getMessage() + ") and no previous one is kept (keepPrevious=false); refusing to start over on top "
          + "of it. Delete the backup dir to start from scratch", e);
    }
    Optional<Checkpoint> previous = store.previous();
    if (previous.isEmpty()) {
      throw new CorruptCheckpointException(uri, e.objectName().orElse(null), "the latest backup is unreadable ("
          + e.getMessage() + ") and the store holds no previous one; refusing to start over on top of it. "
          + "Delete the backup dir to start from scratch", e);
    }
    LOG.warn("{}: the latest backup is unreadable ({}); falling back to the previous one, checkpoint #{}",
        Redaction.redact(uri), e.getMessage(), previous.get().sequence());
    restoredManifest = restorer.restore(previous.get(), uri);
    restoredFrom = previous.get();
    restoredFromPrevious = true;
  }

  /** After every batch (after the trainer's other callbacks): saves if {@link SaveFreq} says so. */
  public void afterBatch(ResumableRun run) throws IOException {
    if (saveFreq.batches > 0 && run.position().globalStep() % saveFreq.batches == 0) {
      save(run);
    }
  }

  /** After every epoch (after the trainer's other callbacks): saves if {@link SaveFreq#EPOCH}. */
  public void afterEpoch(ResumableRun run) throws IOException {
    if (saveFreq.equals(SaveFreq.EPOCH)) {
      save(run);
    }
  }

  /** The fit completed: delete the backup, or save the final state if it is kept. */
  public void end(ResumableRun run) throws IOException {
    if (run.replicas() != null) {
      run.replicas().barrier(); // every replica has finished before the chief deletes or writes the last backup
    }
    if (!writer) {
      return;
    }
    saves.await(); // a failed background save fails the fit here
    TrainingPosition p = run.position();
    keptUntrained = restoredFrom != null && p.globalStep() == restoredAt.globalStep()
        && p.epoch() == restoredAt.epoch();
    if (keptUntrained) {
      // a resumed fit asked for no more epochs than the backup holds (a typo of --epochs?): deleting would lose
      // the trained state for nothing
      LOG.warn("{}: the backup has {} epochs done, and this fit asked for {}: nothing was trained, and the backup "
          + "is kept (not deleted). Ask for more epochs to continue training", Redaction.redact(store.uri()),
          p.epoch(), run.shape().epochs());
    } else if (deleteCheckpoint) {
      store.delete();
      LOG.info("{}: training complete; backup deleted", Redaction.redact(store.uri()));
    } else if (!saveFreq.equals(SaveFreq.NEVER) && (savedAtStep != p.globalStep() || savedAtEpoch != p.epoch())) {
      save(run);
    }
  }

  /**
   * Called after every batch and epoch: on a first SIGTERM/SIGINT (with {@code saveBeforePreemption}) saves
   * unless the last save is this position, waits for it, and stops the fit with {@link PreemptedException}.
   */
  public void checkPreemption(ResumableRun run) throws IOException {
    String signal = preemption == null ? null : preemption.requested();
    TrainingPosition p = run.position();
    if (signal == null || (p.epoch() >= run.shape().epochs() && p.batch() == 0)) {
      return; // nothing asked, or the fit is complete anyway: it ends as usual
    }
    if (!saveFreq.equals(SaveFreq.NEVER) && (savedAtStep != p.globalStep() || savedAtEpoch != p.epoch())) {
      save(run);
    }
    saves.await();
    Checkpoint cp = store.latest().orElse(null);
    throw new PreemptedException(signal, cp, p.epoch(), p.batch(), p.globalStep());
  }

  /** A second signal: release the backup dir now, whatever the fit is doing (the JVM halts next). */
  private void abortNow() {
    CheckpointStore s = store;
    if (s != null && givenStore == null) {
      try {
        s.close();
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: releasing the backup dir on abort failed: {}", Redaction.redact(s.uri()), e.toString());
      }
    }
  }

  /**
   * The fit ends, completed or not: waits for a background save in flight (so that an exception in training
   * does not lose it), then closes a store this instance opened (never deletes).
   */
  public void release() throws IOException {
    if (preemption != null) {
      preemption.uninstall();
      preemption = null;
    }
    if (saves != null) {
      saves.close();
    }
    CheckpointStore s = store;
    store = null;
    if (s != null && givenStore == null) {
      s.close();
    }
  }

  private void save(ResumableRun run) throws IOException {
    TrainingPosition p = run.position();
    if (writer) { // else a replica other than the chief: the same bookkeeping, nothing written
      saves.save(p);
    }
    savedAtStep = p.globalStep();
    savedAtEpoch = p.epoch();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + dir + ", saveFreq="
        + saveFreq + ", deleteCheckpoint=" + deleteCheckpoint + ", keepPrevious=" + keepPrevious + ", asyncSave="
        + asyncSave + "}";
  }

  /** When to save: {@link #EPOCH}, {@link #everyBatches(int)} or {@link #NEVER} (Keras's {@code save_freq}). */
  public static final class SaveFreq {
    /** At the end of every epoch. */
    public static final SaveFreq EPOCH = new SaveFreq(0, "epoch");
    /** Never save; only restore an existing backup. */
    public static final SaveFreq NEVER = new SaveFreq(-1, "never");
    final int batches;
    private final String text;

    private SaveFreq(int batches, String text) {
      this.batches = batches;
      this.text = text;
    }

    /** After every {@code n} batches, counted over the whole run (not per epoch). */
    public static SaveFreq everyBatches(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("saveFreq (" + n + ") must be a positive number of batches");
      }
      return new SaveFreq(n, Integer.toString(n));
    }

    /**
     * Parses {@code epoch}, {@code never} or a positive number of batches.
     *
     * @throws IllegalArgumentException naming the value and the accepted forms
     */
    public static SaveFreq parse(String s) {
      String t = Objects.requireNonNull(s, "saveFreq").trim();
      if (t.equalsIgnoreCase("epoch")) {
        return EPOCH;
      }
      if (t.equalsIgnoreCase("never")) {
        return NEVER;
      }
      try {
        int n = Integer.parseInt(t);
        if (n >= 1) {
          return everyBatches(n);
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException("saveFreq \"" + s + "\" must be 'epoch', 'never' or a positive number "
          + "of batches");
    }

    @Override
    public String toString() {
      return text;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SaveFreq && ((SaveFreq) o).batches == batches;
    }

    @Override
    public int hashCode() {
      return batches;
    }
  }

  /** Builder of a {@link BackupAndRestore}; a trainer's subclass overrides the setters to return its own. */
  public static class Builder {
    private final StoreOpener opener;
    private final CheckpointStore store;
    private SaveFreq saveFreq = SaveFreq.EPOCH;
    private boolean deleteCheckpoint = true;
    private boolean keepPrevious;
    private Duration leaseTimeout;
    private boolean asyncSave;
    private boolean saveBeforePreemption;
    private final Map<String, String> properties = new LinkedHashMap<>();

    /** The backup dir: opened by {@code opener}, or the caller's {@code store} (one of them is null). */
    protected Builder(StoreOpener opener, CheckpointStore store) {
      this.opener = opener;
      this.store = store;
    }

    /**
     * When to save: {@link SaveFreq#EPOCH} at the end of every epoch (the default, as Keras's {@code "epoch"}),
     * {@code SaveFreq.everyBatches(n)} after every n-th batch counted across epochs, or {@link SaveFreq#NEVER}
     * (restore only).
     */
    public Builder saveFreq(SaveFreq saveFreq) {
      this.saveFreq = Objects.requireNonNull(saveFreq, "saveFreq");
      return this;
    }

    /** Whether to delete the backup when the fit completes (default true, as in Keras). */
    public Builder deleteCheckpoint(boolean delete) {
      this.deleteCheckpoint = delete;
      return this;
    }

    /** Keep the previous backup as a fallback for an unreadable latest one (Keras's double_checkpoint). */
    public Builder keepPrevious(boolean keep) {
      if (store != null) {
        throw new IllegalStateException("keepPrevious is an option of the given store; open it with keepPrevious");
      }
      this.keepPrevious = keep;
      return this;
    }

    /** How long a crashed run's claim on the backup dir blocks a restart at most (the store's default: 10 s). */
    public Builder leaseTimeout(Duration timeout) {
      this.leaseTimeout = Objects.requireNonNull(timeout, "leaseTimeout");
      return this;
    }

    /**
     * Write backups on a background thread while training goes on (default false): training blocks only for
     * one in-memory copy of the state, and for the previous save if it is still in flight. Takes direct memory
     * for two copies of the state, from the start of the fit to its end.
     */
    public Builder asyncSave(boolean async) {
      this.asyncSave = async;
      return this;
    }

    /**
     * Stop cleanly on SIGTERM or SIGINT (default false): the fit finishes its batch, saves (unless the last save
     * was that batch, or {@code SaveFreq.NEVER}), releases the backup dir and throws {@link PreemptedException};
     * a second signal aborts at once, releasing the backup dir, and halts the JVM with 128 + the signal's
     * number. The JVM's handlers of both signals are replaced while the fit runs, and put back when it ends.
     * Keras's {@code save_before_preemption}. Not applied to the replicas of a data-parallel group.
     */
    public Builder saveBeforePreemption(boolean save) {
      this.saveBeforePreemption = save;
      return this;
    }

    /** A backend setting passed to the store ({@code s3.endpoint}, ...; see {@link StoreOptions}). */
    public Builder storeProperty(String key, String value) {
      properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The instance; its store is opened when a fit begins ({@link BackupAndRestore#begin}), not now. */
    public BackupAndRestore build() {
      return new BackupAndRestore(this);
    }
  }
}
