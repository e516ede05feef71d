package org.ckpt4j.spi.backend;

/**
 * Optional guarantees a backend declares (see {@link CheckpointStoreProvider#capabilities()}). The TCK runs the
 * rules tied to a capability only where it is declared, skipping them with the reason otherwise, and fails them
 * where it is declared but broken.
 */
public enum Capability {
  /**
   * Several processes can open the same URI and see the same data (a real disk, S3, GCS; not {@code mem:} or
   * Jimfs). Without it, crash (SIGKILL) and cross-process reader rules are not applicable.
   */
  CROSS_PROCESS,
  /** A committed checkpoint survives a power loss, not only a process crash (the local backend fsyncs). */
  POWER_LOSS_DURABLE
}
