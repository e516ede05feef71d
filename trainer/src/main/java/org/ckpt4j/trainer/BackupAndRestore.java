package org.ckpt4j.trainer;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.ckpt4j.spi.AsyncCommitter;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.StoreOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keras's {@code BackupAndRestore} callback with exact resume: pass it to {@link Sequential#fit}; if the fit is
 * interrupted (an exception, a killed process), the next fit with the same backup dir restores the last backup
 * and continues, ending with weights bit-identical to a run that was never interrupted.
 *
 * <ul>
 *   <li><b>When it saves</b> ({@link SaveFreq}): at the end of every epoch (default), every N batches (counted
 *       over the whole run), or never (restore only). A save runs after every other callback's hook for that
 *       batch or epoch, so stateful callbacks' state is up to date.</li>
 *   <li><b>What a backup holds</b>: weights, optimizer state (momentum or Adam moments, step count, current
 *       learning rate), the epoch and batch position, the epoch's shuffle order and running loss, the RNG state,
 *       every {@link StatefulCallback}'s state, and the numeric environment. Layout: {@code manifest.json} plus
 *       one NumPy {@code .npy} blob per tensor ({@code model/0/W.npy}, {@code optimizer/0/W.m.npy},
 *       {@code data/order.npy}, {@code callbacks/<key>/<name>.npy}). A resume from a mid-epoch backup continues
 *       with the next batch; it does not replay the epoch.</li>
 *   <li><b>Run identity</b>: the backup dir's store is opened with the run's fingerprint (model, optimizer, loss,
 *       seed, batch size, shuffle, shape and SHA-256 of x and y) as owner; a backup of another run is refused
 *       with {@link RunMismatchException} naming the differing fields. The number of epochs is not part of it:
 *       a finished run kept with {@code deleteCheckpoint(false)} can be extended.</li>
 *   <li><b>When the latest backup is unreadable</b> ({@link CorruptCheckpointException}): with
 *       {@code keepPrevious(true)} it falls back to the previous one and logs a warning; otherwise {@code fit}
 *       fails. It never silently starts over on top of an existing backup.</li>
 *   <li><b>Async save</b> ({@code asyncSave(true)}): training blocks only while the state is copied once into
 *       memory, straight from the arrays into a snapshot buffer; the copy is written and committed on a
 *       background thread ({@link AsyncCommitter}), byte for byte what a synchronous save writes. The snapshot
 *       buffers are two sets of direct memory the size of the state, allocated when the fit begins (the model's
 *       and optimizer's tensors; the data order and callbacks' tensors at the first save) and reused by every
 *       save (a buffer grows if its tensor does), so a save neither allocates nor zero-fills. At most one save
 *       is in flight: a save that comes due while the previous one is still being written copies the state into
 *       the other set, then waits for the previous save to finish (none is dropped or superseded); a set is
 *       refilled only once the save that read it is done, so a snapshot never changes while it is written.
 *       Crash safety is unchanged: the latest backup moves only once a background commit has made the data
 *       durable, so a crash during a background save resumes from the save before it. A background save that
 *       fails is reported by the next save or by the end of the fit.</li>
 *   <li><b>When fit completes</b>, the backup is deleted ({@code deleteCheckpoint(true)}, default); otherwise
 *       the final state is saved (unless {@code SaveFreq.NEVER}). A fit that resumed and trained nothing (it
 *       asked for no more epochs than the backup holds) keeps the backup either way, and logs a warning.</li>
 * </ul>
 * One instance serves one fit at a time.
 */
public final class BackupAndRestore implements Callback {
  private static final Logger LOG = LoggerFactory.getLogger(BackupAndRestore.class);

  private final String location;
  private final CheckpointStore givenStore;
  private final SaveFreq saveFreq;
  private final boolean deleteCheckpoint;
  private final boolean keepPrevious;
  private final Duration leaseTimeout;
  private final Map<String, String> storeProperties;
  private final boolean asyncSave;
  private final boolean saveBeforePreemption;
  private Preemption preemption;

  // per fit
  private CheckpointStore store;
  private AsyncCommitter committer;
  private SnapshotBuffers snapshots;
  /** Whether this fit writes backups: always, except in a replica other than the chief (ReplicatedFit). */
  private boolean writer = true;
  private long savedAtStep = -1;
  private int savedAtEpoch = -1;
  /** The checkpoint the last fit resumed from, if any (for the command line and tests). */
  Checkpoint restoredFrom;
  boolean restoredFromPrevious;
  private TrainingCheckpoint restoredPosition;
  int savesWritten;
  private long restoredStep;
  private int restoredEpoch;
  /** Whether the last fit resumed from a backup, trained nothing, and so kept the backup instead of deleting it. */
  boolean keptUntrained;

  /** Backs up to {@code backupDir} (a URI such as {@code s3://bucket/run-1}, or a path) every epoch. */
  public BackupAndRestore(String backupDir) {
    this(builder(backupDir));
  }

  private BackupAndRestore(Builder b) {
    this.location = b.location;
    this.givenStore = b.store;
    this.saveFreq = b.saveFreq;
    this.deleteCheckpoint = b.deleteCheckpoint;
    this.keepPrevious = b.store != null ? b.store.options().keepPrevious() : b.keepPrevious;
    this.leaseTimeout = b.leaseTimeout;
    this.storeProperties = Map.copyOf(b.properties);
    this.asyncSave = b.asyncSave;
    this.saveBeforePreemption = b.saveBeforePreemption;
  }

  /** A backup dir given as a URI string or a file system path, opened with {@link CheckpointStores}. */
  public static Builder builder(String backupDir) {
    Objects.requireNonNull(backupDir, "backupDir");
    return new Builder(backupDir, null);
  }

  /**
   * A backup dir given as a URI ({@code file:///...}, {@code s3://bucket/prefix}, {@code gs://bucket/prefix},
   * {@code mem:name}, ...), opened with {@link CheckpointStores}; the same as {@link #builder(String)} of its text.
   */
  public static Builder builder(URI backupDir) {
    return builder(Objects.requireNonNull(backupDir, "backupDir").toString());
  }

  /**
   * A store the caller opened (and closes): its owner identity must be this run's fingerprint, which the
   * caller cannot know in advance, so this is mainly for tests and tools that wrap a store; prefer a location.
   * With {@code deleteCheckpoint(true)} a completed fit deletes the store's backup, which also closes it.
   */
  public static Builder builder(CheckpointStore store) {
    return new Builder(null, Objects.requireNonNull(store, "store"));
  }

  /** When this callback saves: {@link SaveFreq#EPOCH} (the default), every N batches, or never. */
  public SaveFreq saveFreq() {
    return saveFreq;
  }

  /** The checkpoint the last (or current) fit resumed from; empty if it started from scratch. */
  public Optional<Checkpoint> restoredCheckpoint() {
    return Optional.ofNullable(restoredFrom);
  }

  /**
   * What the last (or current) fit resumed from, typed: epochs and batches done, step, tensors, callback keys
   * (instead of parsing the commit metadata's strings); empty if it started from scratch.
   */
  public Optional<TrainingCheckpoint> restoredPosition() {
    return Optional.ofNullable(restoredPosition);
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
    return savesWritten;
  }

  // ---- called by FitRun ----

  void begin(FitRun run) throws IOException {
    restoredFrom = null;
    restoredPosition = null;
    restoredFromPrevious = false;
    keptUntrained = false;
    savedAtStep = -1;
    savedAtEpoch = -1;
    savesWritten = 0;
    Fingerprint fp = run.fingerprint();
    Replicas replicas = run.replicas;
    writer = replicas == null || replicas.rank() == 0;
    if (writer) {
      store = givenStore != null ? checkGiven(fp) : open(fp);
    }
    if (replicas != null) {
      replicas.barrier(); // the chief has claimed (and, if new, created) the backup dir before the others read it
      if (!writer) {
        store = openReader(fp);
      }
    }
    snapshots = null;
    Optional<Checkpoint> latest;
    try {
      latest = store.latest();
      if (latest.isPresent()) {
        restoredPosition = run.restore(latest.get(), store.uri());
        restoredFrom = latest.get();
      }
    } catch (CorruptCheckpointException e) {
      fallBack(run, e);
    }
    if (restoredFrom != null) {
      savedAtStep = run.globalStep;
      savedAtEpoch = run.epoch;
      restoredStep = run.globalStep;
      restoredEpoch = run.epoch;
      LOG.info("{}: restored checkpoint #{}{}: {} epochs and {} batches done (step {}); resuming in epoch {}",
          Redaction.redact(store.uri()), restoredFrom.sequence(), restoredFromPrevious ? " (the previous one)" : "",
          run.epoch, run.batch, run.globalStep, run.epoch + 1);
    }
    if (replicas != null) {
      agree(replicas);
    } else if (saveBeforePreemption) {
      preemption = new Preemption(this::abortNow, run::endProgressLine);
      preemption.install();
    }
    if (writer && asyncSave && saveFreq != SaveFreq.NEVER) {
      // prepared now, not at the first saves, so that no save stalls training for more than the others
      committer = new AsyncCommitter(store);
      snapshots = new SnapshotBuffers();
      snapshots.reserve(run.modelTensors());
      run.prepareCapture();
    }
  }

  private void fallBack(FitRun run, CorruptCheckpointException e) throws IOException {
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
        Redaction.redact(uri),
        e.getMessage(), previous.get().sequence());
    restoredPosition = run.restore(previous.get(), uri);
    restoredFrom = previous.get();
    restoredFromPrevious = true;
  }

  private CheckpointStore open(Fingerprint fp) throws IOException {
    StoreOptions.Builder options = StoreOptions.forOwner(fp.encoded()).keepPrevious(keepPrevious);
    if (leaseTimeout != null) {
      options.leaseTimeout(leaseTimeout);
    }
    storeProperties.forEach(options::property);
    try {
      return CheckpointStores.open(location, options.build());
    } catch (ForeignContentException e) {
      if (e.foreignOwner().isEmpty()) {
        throw e;
      }
      Fingerprint theirs = Fingerprint.parse(e.foreignOwner().get());
      throw new RunMismatchException(e.uri(), fp.differences(theirs), fp.differingFields(theirs),
          e.foreignOwner().get(), fp.encoded(), e);
    }
  }

  /** A replica's read-only view of the chief's backup dir (ReplicatedFit), refusing another run's backup. */
  private CheckpointStore openReader(Fingerprint fp) throws IOException {
    String where = givenStore != null ? givenStore.uri().toString() : location;
    StoreOptions.Builder options = StoreOptions.readOnly().expectOwner(fp.encoded()).keepPrevious(keepPrevious);
    storeProperties.forEach(options::property);
    try {
      return CheckpointStores.open(where, options.build());
    } catch (ForeignContentException e) {
      if (e.foreignOwner().isEmpty()) {
        throw e;
      }
      Fingerprint theirs = Fingerprint.parse(e.foreignOwner().get());
      throw new RunMismatchException(e.uri(), fp.differences(theirs), fp.differingFields(theirs),
          e.foreignOwner().get(), fp.encoded(), e);
    }
  }

  /** Every replica must have restored the same checkpoint (or none): compared through allGather. */
  private void agree(Replicas replicas) throws IOException {
    String mine = restoredFrom == null ? "none" : "#" + restoredFrom.sequence() + ":" + restoredFrom.id();
    List<byte[]> all = replicas.allGather(mine.getBytes(StandardCharsets.UTF_8));
    List<String> restored = new ArrayList<>();
    for (byte[] b : all) {
      restored.add(new String(b, StandardCharsets.UTF_8));
    }
    if (restored.stream().distinct().count() > 1) {
      throw new ReplicaMismatchException(store.uri(), restored);
    }
  }

  private CheckpointStore checkGiven(Fingerprint fp) throws IOException {
    String owner = givenStore.options().owner().orElse(null);
    if (givenStore.options().isReadOnly() || owner == null) {
      throw new IllegalArgumentException("store " + givenStore.uri() + " must be opened read-write for this run's "
          + "fingerprint as owner: " + fp.encoded());
    }
    if (!owner.equals(fp.encoded())) {
      Fingerprint theirs = Fingerprint.parse(owner);
      throw new RunMismatchException(givenStore.uri(), fp.differences(theirs), fp.differingFields(theirs), owner,
          fp.encoded(), null);
    }
    return givenStore;
  }

  void afterBatch(FitRun run) throws IOException {
    if (saveFreq.batches > 0 && run.globalStep % saveFreq.batches == 0) {
      save(run);
    }
  }

  void afterEpoch(FitRun run) throws IOException {
    if (saveFreq == SaveFreq.EPOCH) {
      save(run);
    }
  }

  /** The fit completed: delete the backup, or save the final state if it is kept. */
  void end(FitRun run) throws IOException {
    if (run.replicas != null) {
      run.replicas.barrier(); // every replica has finished before the chief deletes or writes the last backup
    }
    if (!writer) {
      return;
    }
    if (committer != null) {
      committer.await(); // a failed background save fails the fit here
    }
    keptUntrained = restoredFrom != null && run.globalStep == restoredStep && run.epoch == restoredEpoch;
    if (keptUntrained) {
      // a resumed fit asked for no more epochs than the backup holds (a typo of --epochs?): deleting would lose
      // the trained state for nothing
      LOG.warn("{}: the backup has {} epochs done, and this fit asked for {}: nothing was trained, and the backup "
          + "is kept (not deleted). Ask for more epochs to continue training", Redaction.redact(store.uri()),
          run.epoch, run.epochs);
    } else if (deleteCheckpoint) {
      store.delete();
      LOG.info("{}: training complete; backup deleted", Redaction.redact(store.uri()));
    } else if (saveFreq != SaveFreq.NEVER && (savedAtStep != run.globalStep || savedAtEpoch != run.epoch)) {
      save(run);
    }
  }

  /**
   * Waits for a background save in flight (so that an exception in training does not lose it), then closes a
   * store this callback opened (never deletes).
   */
  /**
   * Called after every batch and epoch: on a first SIGTERM/SIGINT (with {@code saveBeforePreemption}) saves
   * unless the last save is this position, waits for it, and stops the fit with {@link PreemptedException}.
   */
  void checkPreemption(FitRun run) throws IOException {
    String signal = preemption == null ? null : preemption.requested();
    if (signal == null || (run.epoch >= run.epochs && run.batch == 0)) {
      return; // nothing asked, or the fit is complete anyway: it ends as usual
    }
    if (saveFreq != SaveFreq.NEVER && (savedAtStep != run.globalStep || savedAtEpoch != run.epoch)) {
      save(run);
    }
    if (committer != null) {
      committer.await();
    }
    Checkpoint cp = store.latest().orElse(null);
    throw new PreemptedException(signal, cp, run.epoch, run.batch, run.globalStep);
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

  void release() throws IOException {
    if (preemption != null) {
      preemption.uninstall();
      preemption = null;
    }
    AsyncCommitter c = committer;
    committer = null;
    if (c != null) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: the last background save failed: {}", Redaction.redact(store == null ? location
            : store.uri().toString()),
            e.toString());
      }
    }
    snapshots = null;
    CheckpointStore s = store;
    store = null;
    if (s != null && givenStore == null) {
      s.close();
    }
  }

  private void save(FitRun run) throws IOException {
    if (!writer) { // a replica other than the chief: the same bookkeeping, nothing written
      savedAtStep = run.globalStep;
      savedAtEpoch = run.epoch;
      return;
    }
    TrainingSnapshot snapshot = run.capture();
    if (asyncSave) {
      if (committer == null) {
        committer = new AsyncCommitter(store);
      }
      if (snapshots == null) {
        snapshots = new SnapshotBuffers();
      }
      // the copy of this save overlaps the write of the previous one, which submit then waits for
      SnapshotBuffers.BufferSet set = snapshots.acquire();
      set.handTo(committer.submit(set.fill(snapshot), snapshot.metadata));
    } else {
      Checkpoint cp = snapshot.writeTo(store);
      LOG.debug("{}: saved checkpoint #{} at epoch {}, batch {}", Redaction.redact(store.uri()), cp.sequence(),
          run.epoch,
          run.batch);
    }
    savedAtStep = run.globalStep;
    savedAtEpoch = run.epoch;
    savesWritten++;
  }

  @Override
  public String toString() {
    return "BackupAndRestore{" + (givenStore != null ? givenStore.uri() : location) + ", saveFreq=" + saveFreq
        + ", deleteCheckpoint=" + deleteCheckpoint + ", keepPrevious=" + keepPrevious + ", asyncSave=" + asyncSave
        + "}";
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

  /** Builder of a {@link BackupAndRestore}. */
  public static final class Builder {
    private final String location;
    private final CheckpointStore store;
    private SaveFreq saveFreq = SaveFreq.EPOCH;
    private boolean deleteCheckpoint = true;
    private boolean keepPrevious;
    private Duration leaseTimeout;
    private boolean asyncSave;
    private boolean saveBeforePreemption;
    private final Map<String, String> properties = new LinkedHashMap<>();

    private Builder(String location, CheckpointStore store) {
      this.location = location;
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

    /** Whether to delete the backup when fit completes (default true, as in Keras). */
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
     * Stop cleanly on SIGTERM or SIGINT (default false; on in the command line): the fit finishes its batch,
     * saves (unless the last save was that batch, or {@code SaveFreq.NEVER}), releases the backup dir and throws
     * {@link PreemptedException}; a second signal aborts at once, releasing the backup dir, and halts the JVM with
     * 128 + the signal's number. The JVM's handlers of both signals are replaced while the fit runs (so its
     * shutdown hooks do not run on the first signal), and put back when it ends. Keras's
     * {@code save_before_preemption}. Not applied to the replicas of a {@link ReplicatedFit}.
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

    /** The callback; its store is opened when a {@code fit} begins, not now. */
    public BackupAndRestore build() {
      return new BackupAndRestore(this);
    }
  }
}
