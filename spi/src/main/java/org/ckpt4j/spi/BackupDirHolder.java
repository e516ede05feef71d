package org.ckpt4j.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Who holds a backup dir, as its newest claim record and lease say ({@link CheckpointStore#holder()}): for tools
 * that show it, such as an inspect command. A snapshot: the holder may release the backup dir, or be taken over,
 * right after it was read. Fields that records of older versions, or an unreadable lease, do not give are
 * {@code -1} or {@code null}.
 *
 * @param claim the log slot of the holder's claim
 * @param description the holder as its records describe it ("pid 4242 on trainer-7"), for people
 * @param pid the holder's process id, or -1 if unknown
 * @param host the holder's host name, or null if unknown
 * @param leaseRenewedAt when the holder last wrote its lease, by its own clock, or null if unknown
 * @param leaseTimeout the holder's lease timeout, or null if unknown: once its lease has been silent that long
 *     (or a newcomer's, if longer), a newcomer takes the backup dir over (R6.3)
 */
public record BackupDirHolder(long claim, String description, long pid, String host, Instant leaseRenewedAt,
    Duration leaseTimeout) {

  /** How long ago the holder last renewed its lease, by {@code now}; empty if unknown. */
  public Optional<Duration> leaseAge(Instant now) {
    return leaseRenewedAt == null ? Optional.empty() : Optional.of(Duration.between(leaseRenewedAt, now));
  }
}
