package org.ckpt4j.trainer;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.ckpt4j.resume.StoreOpener;
import org.ckpt4j.spi.CheckpointStore;

/**
 * Keras's {@code BackupAndRestore} callback with exact resume for {@link Sequential#fit}: the framework-neutral
 * {@link org.ckpt4j.resume.BackupAndRestore} (module {@code ckpt4j-resume}, whose javadoc says when it saves,
 * what a backup holds, how a run is identified and what happens on an unreadable backup) as a {@link Callback}.
 * Pass it among the callbacks; if the fit is interrupted (an exception, a killed process), the next fit with the
 * same backup dir restores the last backup and continues, ending with weights bit-identical to a run that was
 * never interrupted.
 *
 * <p>What the ND4J trainer puts in a backup: weights ({@code model/<layer>/W.npy}, {@code model/<layer>/b.npy}),
 * optimizer slots ({@code optimizer/<layer>/W.m.npy}, ...), momentum or Adam step and learning rate, the epoch
 * and batch position, the epoch's shuffle order and running loss and accuracy, ND4J's RNG state, every
 * {@link StatefulCallback}'s state, and the numeric environment. The run's identity is model, optimizer, loss,
 * seed, batch size, shuffle, and shape and SHA-256 of x and y. A save runs after every other callback's hook for
 * that batch or epoch, so stateful callbacks' state is up to date. One instance serves one fit at a time.
 */
public final class BackupAndRestore extends org.ckpt4j.resume.BackupAndRestore implements Callback {

  /** Backs up to {@code backupDir} (a URI such as {@code s3://bucket/run-1}, or a path) every epoch. */
  public BackupAndRestore(String backupDir) {
    this(builder(backupDir));
  }

  private BackupAndRestore(Builder b) {
    super(b);
  }

  /** A backup dir given as a URI string or a file system path, opened with the SPI's {@code CheckpointStores}. */
  public static Builder builder(String backupDir) {
    return new Builder(StoreOpener.of(backupDir), null);
  }

  /**
   * A backup dir given as a URI ({@code file:///...}, {@code s3://bucket/prefix}, {@code gs://bucket/prefix},
   * {@code mem:name}, ...); the same as {@link #builder(String)} of its text.
   */
  public static Builder builder(URI backupDir) {
    return new Builder(StoreOpener.of(backupDir), null);
  }

  /** A backup dir opened by {@code opener} with the options the fit chooses (owner, lease, properties). */
  public static Builder builder(StoreOpener opener) {
    return new Builder(Objects.requireNonNull(opener, "opener"), null);
  }

  /**
   * A store the caller opened (and closes): its owner identity must be this run's fingerprint, which the
   * caller cannot know in advance, so this is mainly for tests and tools that wrap a store; prefer a location.
   * With {@code deleteCheckpoint(true)} a completed fit deletes the store's backup, which also closes it.
   */
  public static Builder builder(CheckpointStore store) {
    return new Builder(null, Objects.requireNonNull(store, "store"));
  }

  /**
   * What the last (or current) fit resumed from, typed: epochs and batches done, step, tensors, callback keys
   * (instead of parsing the commit metadata's strings); empty if it started from scratch.
   */
  public Optional<TrainingCheckpoint> restoredPosition() {
    return restoredManifest().map(m -> new TrainingCheckpoint(m, restoredCheckpoint().orElseThrow().blobs()));
  }

  /** Builder of a {@link BackupAndRestore}: the settings of {@link org.ckpt4j.resume.BackupAndRestore.Builder}. */
  public static final class Builder extends org.ckpt4j.resume.BackupAndRestore.Builder {
    private Builder(StoreOpener opener, CheckpointStore store) {
      super(opener, store);
    }

    @Override
    public Builder saveFreq(SaveFreq saveFreq) {
      super.saveFreq(saveFreq);
      return this;
    }

    @Override
    public Builder deleteCheckpoint(boolean delete) {
      super.deleteCheckpoint(delete);
      return this;
    }

    @Override
    public Builder keepPrevious(boolean keep) {
      super.keepPrevious(keep);
      return this;
    }

    @Override
    public Builder leaseTimeout(Duration timeout) {
      super.leaseTimeout(timeout);
      return this;
    }

    @Override
    public Builder asyncSave(boolean async) {
      super.asyncSave(async);
      return this;
    }

    /** See the neutral builder; on in the command line. Not applied to the replicas of a {@link ReplicatedFit}. */
    @Override
    public Builder saveBeforePreemption(boolean save) {
      super.saveBeforePreemption(save);
      return this;
    }

    @Override
    public Builder storeProperty(String key, String value) {
      super.storeProperty(key, value);
      return this;
    }

    /** The callback; its store is opened when a {@code fit} begins, not now. */
    @Override
    public BackupAndRestore build() {
      return new BackupAndRestore(this);
    }
  }
}
