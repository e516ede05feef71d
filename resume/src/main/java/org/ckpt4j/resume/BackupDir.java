package org.ckpt4j.resume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.StoreOptions;

/**
 * How {@link BackupAndRestore} gets at the backup dir: opens it with the run's fingerprint as owner (read-only
 * with the fingerprint expected, for a replica), or checks a store the caller opened; refuses another run's
 * backup with {@link RunMismatchException}; and checks that the replicas of a group restored the same one.
 */
final class BackupDir {
  private final StoreOpener opener;
  private final CheckpointStore given;
  private final boolean keepPrevious;
  private final Duration leaseTimeout;
  private final Map<String, String> properties;

  BackupDir(StoreOpener opener, CheckpointStore given, boolean keepPrevious, Duration leaseTimeout,
      Map<String, String> properties) {
    this.opener = given != null ? StoreOpener.of(given.uri()) : opener;
    this.given = given;
    this.keepPrevious = keepPrevious;
    this.leaseTimeout = leaseTimeout;
    this.properties = properties;
  }

  /** The writer's store: the given one (checked) or one opened read-write with the run as owner. */
  CheckpointStore openWriter(RunFingerprint fp) throws IOException {
    return given != null ? checkGiven(fp) : open(fp, StoreOptions.forOwner(fp.encoded()));
  }

  /** A replica's read-only view of the chief's backup dir, refusing another run's backup. */
  CheckpointStore openReader(RunFingerprint fp) throws IOException {
    return open(fp, StoreOptions.readOnly().expectOwner(fp.encoded()));
  }

  private CheckpointStore open(RunFingerprint fp, StoreOptions.Builder options) throws IOException {
    options.keepPrevious(keepPrevious);
    if (leaseTimeout != null) {
      options.leaseTimeout(leaseTimeout);
    }
    properties.forEach(options::property);
    try {
      return opener.open(options.build());
    } catch (ForeignContentException e) {
      if (e.foreignOwner().isEmpty()) {
        throw e;
      }
      RunFingerprint theirs = RunFingerprint.parse(e.foreignOwner().get(), fp.prefix());
      throw new RunMismatchException(e.uri(), fp.differences(theirs), fp.differingFields(theirs),
          e.foreignOwner().get(), fp.encoded(), e);
    }
  }

  private CheckpointStore checkGiven(RunFingerprint fp) throws IOException {
    String owner = given.options().owner().orElse(null);
    if (given.options().isReadOnly() || owner == null) {
      throw new IllegalArgumentException("store " + given.uri() + " must be opened read-write for this run's "
          + "fingerprint as owner: " + fp.encoded());
    }
    if (!owner.equals(fp.encoded())) {
      RunFingerprint theirs = RunFingerprint.parse(owner, fp.prefix());
      throw new RunMismatchException(given.uri(), fp.differences(theirs), fp.differingFields(theirs), owner,
          fp.encoded(), null);
    }
    return given;
  }

  /** Every replica must have restored the same checkpoint (or none): compared through allGather. */
  static void agree(ReplicaGroup replicas, Checkpoint restoredFrom, CheckpointStore store) throws IOException {
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

  @Override
  public String toString() {
    return given != null ? given.uri().toString() : String.valueOf(opener);
  }
}
