package org.ckpt4j.resume;

/**
 * An optimizer's scalars (its slots are tensors): its configuration as text (compared on resume), the step
 * count and the current learning rate (a schedule may change it).
 */
public record OptimizerInfo(String config, long step, double learningRate) {}
