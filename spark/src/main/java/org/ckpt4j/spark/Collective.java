package org.ckpt4j.spark;

import org.ckpt4j.trainer.Replicas;

/**
 * The collective operations a data-parallel group of workers runs on (all-reduce of a float or double buffer in
 * place, barrier, gather of bytes), as {@link Replicas} for {@link org.ckpt4j.trainer.ReplicatedFit}, plus
 * {@link #close()}. The built-in implementation is a ring over TCP sockets (reduce-scatter then all-gather); a native
 * one can be plugged in behind this interface.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Same bits everywhere</b>: {@code allReduce} gives every worker bit-identical results, summed in an
 *       order that depends only on the group's size and the buffer's length (never on timing), so a run is
 *       reproducible and a resumed run matches an uninterrupted one.</li>
 *   <li><b>Fail, never retry</b>: any error (a peer's death, a silent peer past the read deadline, a frame of
 *       another attempt or operation) throws {@link CollectiveException} and breaks the group for good: every
 *       later call throws too. Recovery is the caller's: restart the whole group, which restores from the
 *       backup.</li>
 *   <li><b>{@link #close()}</b> may be called from any thread at any time (e.g. when the engine kills the task)
 *       and unblocks every call in progress, which then throws.</li>
 * </ul>
 * Operations are called from one thread at a time, in the same order on every worker.
 */
public interface Collective extends Replicas, AutoCloseable {
  /** Closes every socket and unblocks every call in progress. Idempotent; never throws. */
  @Override
  void close();
}
