/**
 * A minimal ND4J trainer with Keras's {@code BackupAndRestore} and exact resume.
 *
 * <p>What a user needs: {@link org.ckpt4j.trainer.Sequential} (built with {@link
 * org.ckpt4j.trainer.Sequential#builder(int)}, trained with {@code fit}), {@link org.ckpt4j.trainer.Optimizer},
 * {@link org.ckpt4j.trainer.Loss}, {@link org.ckpt4j.trainer.Activation}, and the callback
 * {@link org.ckpt4j.trainer.BackupAndRestore}. Callbacks implement {@link org.ckpt4j.trainer.Callback}; those
 * whose state must survive a resume implement {@link org.ckpt4j.trainer.StatefulCallback} with a
 * {@link org.ckpt4j.trainer.CallbackState}. Errors of their own: {@link org.ckpt4j.resume.RunMismatchException}
 * (a backup dir of another run) and {@link org.ckpt4j.trainer.NonFiniteLossException}; storage errors are the
 * SPI's typed {@link org.ckpt4j.spi.CheckpointStoreException}s. The command line is the {@code ckpt4j-cli}
 * module.
 *
 * <p>Data-parallel training: {@link org.ckpt4j.trainer.ReplicatedFit} runs {@code fit} as one replica of a
 * {@link org.ckpt4j.trainer.Replicas} group (module {@code ckpt4j-spark} provides one on Spark and over TCP);
 * replicas that restored different backups fail with {@link org.ckpt4j.resume.ReplicaMismatchException}.
 *
 * <p>Storage is chosen by the backup dir's URI through {@link org.ckpt4j.spi.CheckpointStores}; this module
 * names no backend and no logging binding: the application adds the backends it uses
 * ({@code ckpt4j-storage-local}, {@code -s3}, {@code -gcs}) and its SLF4J binding.
 */
package org.ckpt4j.trainer;
