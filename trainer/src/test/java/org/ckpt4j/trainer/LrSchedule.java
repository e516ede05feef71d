package org.ckpt4j.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A per-batch learning-rate schedule whose counter must continue after a resume (the seed article's example):
 * {@code lr = base * decay^step}. Also keeps a tensor (the sum of batch losses seen, as float64) to exercise
 * tensor state, and records what it was restored with.
 */
class LrSchedule implements StatefulCallback {
  private final double base;
  private final double decay;
  private Sequential model;
  long step;
  INDArray lossTrail = Nd4j.zeros(DataType.DOUBLE, 1);
  final List<Long> restoredSteps = new ArrayList<>();

  LrSchedule(double base, double decay) {
    this.base = base;
    this.decay = decay;
  }

  @Override
  public String stateKey() {
    return "lr-schedule";
  }

  @Override
  public void onTrainBegin(Sequential m) {
    this.model = m;
  }

  @Override
  public void onBatchBegin(int epoch, int batch) {
    model.setLearningRate(base * Math.pow(decay, step));
  }

  @Override
  public void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {
    step++;
    lossTrail.addi(logs.get("loss"));
  }

  @Override
  public CallbackState saveState() {
    return CallbackState.of(Map.of("step", step, "base", base), Map.of("lossTrail", lossTrail));
  }

  @Override
  public void restoreState(CallbackState state) {
    step = state.getLong("step");
    lossTrail = state.tensors().get("lossTrail").dup();
    restoredSteps.add(step);
  }
}
