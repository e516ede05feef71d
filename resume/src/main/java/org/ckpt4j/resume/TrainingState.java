package org.ckpt4j.resume;

import java.util.Map;

/**
 * What a checkpoint gives back to a run ({@link ResumableRun#restore}), read completely and checked: the
 * position, the shuffle order of the epoch in progress (null between epochs or without shuffling), the RNG's
 * named states, the optimizer's scalars, and the model's and optimizer's tensors by blob name (tensors the run
 * allocated with {@link ResumableRun#allocate}). Stateful callbacks have been restored already.
 */
public record TrainingState(TrainingPosition position, int[] order, Map<String, Long> rng,
    OptimizerInfo optimizer, Map<String, Tensor> tensors) {}
