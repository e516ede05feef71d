package org.ckpt4j.trainer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt4j.resume.StoreOpener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A random small training run (model, data, optimizer, loss, save frequency) and a random list of
 * interruptions, generated from two seeds; {@link #toString()} prints all of it so that a failure reads like a
 * script.
 */
final class Scenario {
  enum Kind { EPOCH_BEGIN, BATCH_BEGIN, BATCH_END, EPOCH_END, STORE_FAULT }

  /** One interruption: a callback exception at a global position, or the n-th mutating storage call failing. */
  static final class Interruption {
    final Kind kind;
    final long at;

    Interruption(Kind kind, long at) {
      this.kind = kind;
      this.at = at;
    }

    @Override
    public String toString() {
      return kind + "@" + at;
    }
  }

  final long configSeed;
  final int inputs;
  final int[] units;
  final Activation[] activations;
  final Loss loss;
  final Optimizer optimizer;
  final int samples;
  final int batchSize;
  final int epochs;
  final boolean shuffle;
  final BackupAndRestore.SaveFreq saveFreq;
  final boolean keepPrevious;
  final boolean schedule;
  final List<Interruption> interruptions = new ArrayList<>();

  Scenario(long configSeed, long interruptSeed, int interruptionCount) {
    this.configSeed = configSeed;
    SplittableRandom r = new SplittableRandom(configSeed);
    inputs = r.nextInt(1, 7);
    int layers = r.nextInt(1, 4);
    units = new int[layers];
    activations = new Activation[layers];
    Loss[] losses = Loss.values();
    loss = losses[r.nextInt(losses.length)];
    for (int k = 0; k < layers; k++) {
      units[k] = r.nextInt(1, 7);
      activations[k] = Activation.values()[r.nextInt(Activation.values().length)];
    }
    if (loss.isCategorical()) {
      units[layers - 1] = Math.max(2, units[layers - 1]);
      activations[layers - 1] = r.nextInt(5) == 0 ? Activation.SIGMOID : Activation.SOFTMAX;
    }
    switch (r.nextInt(3)) {
      case 0: optimizer = Optimizer.sgd(0.05); break;
      case 1: optimizer = Optimizer.sgd(0.02, 0.9); break;
      default: optimizer = Optimizer.adam(0.01); break;
    }
    samples = r.nextInt(1, 13);
    batchSize = r.nextInt(1, 6);
    epochs = r.nextInt(1, 5);
    shuffle = r.nextBoolean();
    int f = r.nextInt(10);
    saveFreq = f < 4 ? BackupAndRestore.SaveFreq.EPOCH
        : f < 9 ? BackupAndRestore.SaveFreq.everyBatches(r.nextInt(1, 5)) : BackupAndRestore.SaveFreq.NEVER;
    keepPrevious = r.nextBoolean();
    schedule = r.nextBoolean();
    SplittableRandom ir = new SplittableRandom(interruptSeed);
    long steps = (long) epochs * ((samples + batchSize - 1) / batchSize);
    for (int k = 0; k < interruptionCount; k++) {
      Kind kind = Kind.values()[ir.nextInt(Kind.values().length)];
      long at;
      switch (kind) {
        case EPOCH_BEGIN: case EPOCH_END: at = ir.nextInt(epochs); break;
        case STORE_FAULT: at = ir.nextInt(1, 40); break;
        default: at = ir.nextLong(steps); break;
      }
      interruptions.add(new Interruption(kind, at));
    }
  }

  Sequential model() {
    Sequential.Builder b = Sequential.builder(inputs).optimizer(optimizer).loss(loss).seed(configSeed);
    for (int k = 0; k < units.length; k++) {
      b.dense(units[k], activations[k]);
    }
    return b.build();
  }

  INDArray x() {
    SplittableRandom r = new SplittableRandom(configSeed ^ 0x5DEECE66DL);
    float[][] x = new float[samples][inputs];
    for (float[] row : x) {
      for (int k = 0; k < inputs; k++) {
        row[k] = (float) r.nextDouble(-1, 1);
      }
    }
    return Nd4j.create(x);
  }

  INDArray y() {
    SplittableRandom r = new SplittableRandom(configSeed ^ 0xB5L);
    int out = units[units.length - 1];
    if (loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
      float[] y = new float[samples];
      for (int s = 0; s < samples; s++) {
        y[s] = r.nextInt(out);
      }
      return Nd4j.createFromArray(y).reshape(samples, 1);
    }
    float[][] y = new float[samples][out];
    for (float[] row : y) {
      if (loss == Loss.CATEGORICAL_CROSSENTROPY) {
        row[r.nextInt(out)] = 1;
      } else {
        for (int k = 0; k < out; k++) {
          row[k] = (float) r.nextDouble(-1, 1);
        }
      }
    }
    return Nd4j.create(y).castTo(DataType.FLOAT);
  }

  List<Callback> callbacks(BackupAndRestore backup, Callback interrupter) {
    List<Callback> cbs = new ArrayList<>();
    if (backup != null) {
      cbs.add(backup);
    }
    if (schedule) {
      cbs.add(new LrSchedule(optimizer.learningRate(), 0.97));
    }
    if (interrupter != null) {
      cbs.add(interrupter);
    }
    return cbs;
  }

  BackupAndRestore backup(String dir) {
    return backup(StoreOpener.of(dir), java.util.Map.of());
  }

  /** A backup over the store {@code dir} opens, with the backend's properties. */
  BackupAndRestore backup(StoreOpener dir, java.util.Map<String, String> properties) {
    BackupAndRestore.Builder b = BackupAndRestore.builder(dir).saveFreq(saveFreq).keepPrevious(keepPrevious)
        .leaseTimeout(Duration.ofMillis(200));
    properties.forEach(b::storeProperty);
    return b.build();
  }

  /** Fits with the interruption armed; returns the history if the fit completed, else null. */
  History attempt(Sequential model, BackupAndRestore backup, Interruption i) throws IOException {
    Callback interrupter = new Callback() {
      @Override
      public void onEpochBegin(int epoch) {
        if (i.kind == Kind.EPOCH_BEGIN && epoch == i.at) {
          throw new Fixtures.Boom(i + ": epoch begin");
        }
      }

      @Override
      public void onBatchBegin(int epoch, int batch) {
        if (i.kind == Kind.BATCH_BEGIN && model.optimizerSteps() == i.at) {
          throw new Fixtures.Boom(i + ": batch begin");
        }
      }

      @Override
      public void onBatchEnd(int epoch, int batch, java.util.Map<String, Double> logs) {
        if (i.kind == Kind.BATCH_END && model.optimizerSteps() == i.at + 1) {
          throw new Fixtures.Boom(i + ": batch end");
        }
      }

      @Override
      public void onEpochEnd(int epoch, java.util.Map<String, Double> logs) {
        if (i.kind == Kind.EPOCH_END && epoch == i.at) {
          throw new Fixtures.Boom(i + ": epoch end");
        }
      }
    };
    FaultyObjects.failAfter(i.kind == Kind.STORE_FAULT ? (int) i.at : 0);
    try {
      return model.fit(x(), y(), epochs, batchSize, shuffle, callbacks(backup, interrupter), false);
    } catch (Fixtures.Boom e) {
      return null;
    } catch (IOException e) {
      if (FaultyObjects.fired() && String.valueOf(e.getMessage()).contains("injected")
          || FaultyObjects.fired() && e.getCause() != null) {
        return null;
      }
      throw e;
    } finally {
      FaultyObjects.failAfter(0);
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Scenario{configSeed=" + configSeed + ", model=in(" + inputs + ")");
    for (int k = 0; k < units.length; k++) {
      sb.append(">dense(").append(units[k]).append(',').append(activations[k]).append(')');
    }
    return sb.append(", loss=").append(loss).append(", optimizer=").append(optimizer).append(", samples=")
        .append(samples).append(", batchSize=").append(batchSize).append(", epochs=").append(epochs)
        .append(", shuffle=").append(shuffle).append(", saveFreq=").append(saveFreq).append(", keepPrevious=")
        .append(keepPrevious).append(", lrSchedule=").append(schedule).append(", interruptions=")
        .append(interruptions).append('}').toString();
  }
}
