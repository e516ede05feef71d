/**
 * Exact resume for any JVM trainer: {@link org.ckpt4j.resume.BackupAndRestore} saves and restores a training
 * run that hands over its state as a {@link org.ckpt4j.resume.ResumableRun}, over the SPI's
 * {@link org.ckpt4j.spi.CheckpointStore}. Depends on the SPI and SLF4J only (no tensor library).
 *
 * <p>A map of the files:
 * <ul>
 *   <li>What a trainer sees: {@code BackupAndRestore} (the lifecycle: begin, after batch and epoch, preemption,
 *       end, release; its builder and {@code SaveFreq}), {@code ResumableRun} (what the trainer implements),
 *       {@code StoreOpener} (how the backup dir is opened), {@code StatefulState} and {@code CallbackState}
 *       (callbacks' state), and the value types {@code Tensor}, {@code DType}, {@code TrainingPosition},
 *       {@code OptimizerInfo}, {@code TrainingState}, {@code RunShape}, {@code RunFingerprint},
 *       {@code ReplicaGroup}.</li>
 *   <li>The checkpoint's format: {@code BlobLayout} (every blob name, spelled once), {@code TrainingManifest}
 *       (the typed manifest, parsed and checked field by field with {@code Fields}), {@code Npy} (the
 *       {@code .npy} blobs), {@code JsonCodec} (the manifest's JSON).</li>
 *   <li>The parts of a save and a restore: {@code BackupDir} (opening, identity checks, replicas' agreement),
 *       {@code Capture} (state to {@code Snapshot}), {@code Saves} (synchronous and async writing,
 *       {@code SnapshotBuffers}), {@code Restorer} (read, check, hand back), {@code Preemption} (signals).</li>
 *   <li>Errors of its own: {@code RunMismatchException}, {@code ReplicaMismatchException},
 *       {@code PreemptedException}; storage errors are the SPI's typed exceptions.</li>
 * </ul>
 */
package org.ckpt4j.resume;
