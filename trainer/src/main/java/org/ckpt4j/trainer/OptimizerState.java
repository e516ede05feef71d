package org.ckpt4j.trainer;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What an {@link Optimizer} accumulates: one or two slot arrays per parameter (SGD velocity; Adam first and
 * second moments), the step count and the current learning rate (a scheduler may change it).
 */
final class OptimizerState {
  final Optimizer config;
  /** slots.get(k) are the slot arrays of parameter k: [] (plain SGD), [velocity] or [m, v]. */
  final List<INDArray[]> slots = new ArrayList<>();
  long step;
  double learningRate;

  OptimizerState(Optimizer config, List<INDArray> params) {
    this.config = config;
    this.learningRate = config.learningRate;
    for (INDArray p : params) {
      slots.add(newSlots(p));
    }
  }

  private INDArray[] newSlots(INDArray p) {
    int n = slotNames().length;
    INDArray[] s = new INDArray[n];
    for (int k = 0; k < n; k++) {
      s[k] = Nd4j.zeros(p.dataType(), p.shape());
    }
    return s;
  }

  /** Names of the slots per parameter, used as blob names. */
  String[] slotNames() {
    if (config.kind == Optimizer.Kind.ADAM) {
      return new String[] {"m", "v"};
    }
    return config.momentum == 0.0 ? new String[0] : new String[] {"velocity"};
  }

  /** Applies one update to every parameter in place. */
  void apply(List<INDArray> params, List<INDArray> grads) {
    step++;
    for (int k = 0; k < params.size(); k++) {
      INDArray w = params.get(k);
      INDArray g = grads.get(k);
      INDArray[] s = slots.get(k);
      if (config.kind == Optimizer.Kind.SGD) {
        if (s.length == 0) {
          w.subi(g.mul(learningRate));
        } else {
          s[0].muli(config.momentum).subi(g.mul(learningRate));
          w.addi(s[0]);
        }
      } else {
        double lrT = learningRate * Math.sqrt(1 - Math.pow(config.beta2, step)) / (1 - Math.pow(config.beta1, step));
        s[0].muli(config.beta1).addi(g.mul(1 - config.beta1));
        s[1].muli(config.beta2).addi(g.mul(g).muli(1 - config.beta2));
        INDArray denom = Transforms.sqrt(s[1], true).addi(config.epsilon);
        w.subi(s[0].div(denom).muli(lrT));
      }
    }
  }
}
