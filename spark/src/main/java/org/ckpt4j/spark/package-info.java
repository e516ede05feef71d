/**
 * Multi-worker data-parallel training with {@link org.ckpt4j.trainer.BackupAndRestore}: the chief writes the
 * backups, every worker restores, and a failed worker restarts the whole group from the last backup.
 *
 * <p>What a user needs: the command lines {@link org.ckpt4j.spark.MultiWorkerFit} (on Spark: embedded
 * {@code local[N]} by default, or under {@code spark-submit}) and {@link org.ckpt4j.spark.ClusterFit} (the
 * manual {@code TF_CONFIG} launch, without Spark). {@link org.ckpt4j.spark.Collective} is the seam for another
 * all-reduce implementation; its failures are {@link org.ckpt4j.spark.CollectiveException}s.
 *
 * <p>Inside (package-private): {@code TcpRing} (the collective: a TCP ring with a fixed summation order, and its
 * rendezvous), {@code RingLink} (one ring step on non-blocking sockets: a framed send and receive, with read
 * deadlines), {@code RingSender} (its sending half, on the caller's thread or, for large frames, its own),
 * {@code RingElements} (arrays to and from the wire), {@code SparkTraining} (the barrier stage, followed by a
 * shuffle so that Spark restarts all tasks together, and the per-attempt rendezvous), {@code LocalRendezvous}
 * (that rendezvous when every task runs in this JVM), {@code TrainingJob} (what each worker runs: the trainer CLI's
 * model and dataset through {@link org.ckpt4j.trainer.ReplicatedFit}), {@code ClusterConfig} ({@code TF_CONFIG}),
 * {@code InjectedFailure} ({@code --fail-worker/--fail-at-batch}). {@link org.ckpt4j.spark.RingBench} (with
 * {@code StepBench} and {@code RecoveryBench}) prints the figures of the module's README; it is not an API.
 */
package org.ckpt4j.spark;
