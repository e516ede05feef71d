package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.ckpt4j.resume.ReplicaMismatchException;
import org.ckpt4j.trainer.Activation;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.History;
import org.ckpt4j.trainer.Loss;
import org.ckpt4j.trainer.Optimizer;
import org.ckpt4j.trainer.ReplicatedFit;
import org.ckpt4j.trainer.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ReplicatedFitTest {
  @TempDir
  Path dir;

  private static Sequential model(String kind) {
    switch (kind) {
      case "mse":
        return Sequential.builder(6).dense(8, Activation.TANH).dense(2, Activation.LINEAR)
            .optimizer(Optimizer.sgd(0.05, 0.9)).loss(Loss.MEAN_SQUARED_ERROR).seed(7).build();
      case "categorical-sigmoid": // categorical loss without a softmax output: the unfused gradient
        return Sequential.builder(6).dense(8, Activation.RELU).dense(3, Activation.SIGMOID)
            .optimizer(Optimizer.adam(1e-2)).loss(Loss.CATEGORICAL_CROSSENTROPY).seed(7).build();
      default:
        return TrainingJob.model(7);
    }
  }

  private static INDArray[] data(String kind, int n) {
    if (kind.equals("cli")) {
      return TrainingJob.dataset(n, 7);
    }
    SplittableRandom r = new SplittableRandom(3);
    int out = kind.equals("mse") ? 2 : 3;
    float[][] x = new float[n][6];
    float[][] y = new float[n][out];
    for (int s = 0; s < n; s++) {
      for (int f = 0; f < 6; f++) {
        x[s][f] = (float) r.nextGaussian();
      }
      if (kind.equals("mse")) {
        y[s][0] = x[s][0] * x[s][1];
        y[s][1] = x[s][2] - x[s][3];
      } else {
        y[s][r.nextInt(out)] = 1;
      }
    }
    return new INDArray[] {Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.create(y).castTo(DataType.FLOAT)};
  }

  @ParameterizedTest
  @ValueSource(strings = {"cli", "mse", "categorical-sigmoid"})
  void oneWorker_isBitIdenticalToSingleProcessFit(String kind) throws Exception {
    INDArray[] d = data(kind, 45); // 45 rows, batches of 8: the last batch of each epoch is smaller
    Sequential single = model(kind);
    History hs = single.fit(d[0], d[1], 3, 8, true, List.of(BackupAndRestore.builder(dir.resolve("a").toString())
        .saveFreq(BackupAndRestore.SaveFreq.everyBatches(4)).deleteCheckpoint(false).build()), false);
    Sequential replica = model(kind);
    List<TcpRing> ring = Rings.open(1, Duration.ofSeconds(10));
    History hr = ReplicatedFit.fit(replica, d[0], d[1], 3, 8, true, List.of(BackupAndRestore.builder(
        dir.resolve("b").toString()).saveFreq(BackupAndRestore.SaveFreq.everyBatches(4)).deleteCheckpoint(false)
        .build()), null, ring.get(0));
    assertThat(replica.weightsSha256()).isEqualTo(single.weightsSha256());
    assertThat(hr.epochs()).isEqualTo(hs.epochs());
    assertThat(hr.asMap()).isEqualTo(hs.asMap());
  }

  private TrainingJob job(String backup) {
    TrainingJob j = new TrainingJob();
    j.backupDir = dir.resolve(backup).toString();
    j.epochs = 3;
    j.batchSize = 10;
    j.samples = 64;
    j.saveFreq = "3";
    j.readTimeoutMs = 30_000;
    j.leaseTimeoutMs = 2_000;
    return j;
  }

  @Test
  void twoWorkers_failureInANonChief_resumesBitIdenticalToAnUninterruptedRun() throws Exception {
    String expected = LocalGroup.run(job("plain"), 2, 0).get(0).weightsSha256();
    TrainingJob j = job("failing");
    j.failWorker = 1;
    j.failAtBatch = 8;
    assertThatThrownBy(() -> LocalGroup.run(j, 2, 0)).isInstanceOf(InjectedFailure.class);
    List<TrainingJob.Result> resumed = LocalGroup.run(j, 2, 1);
    assertThat(resumed).extracting(TrainingJob.Result::weightsSha256).containsExactly(expected, expected);
    assertThat(resumed).extracting(TrainingJob.Result::restoredSequence).allSatisfy(s -> assertThat(s).isPositive());
    assertThat(resumed.get(0).restoredAt()).isEqualTo("epoch 0, batch 6"); // the save after step 6 (7 per epoch)
  }

  @Test
  void twoWorkers_differFromOneWorker_butEachReplicaHoldsTheSameWeights() throws Exception {
    List<TrainingJob.Result> two = LocalGroup.run(job("two"), 2, 0);
    List<TrainingJob.Result> one = LocalGroup.run(job("one"), 1, 0);
    assertThat(two.get(0).weightsSha256()).isEqualTo(two.get(1).weightsSha256());
    // same mathematics, other float rounding: a one-worker run is not a stand-in for a two-worker run
    assertThat(two.get(0).weightsSha256()).isNotEqualTo(one.get(0).weightsSha256());
  }

  @Test
  void replicasThatRestoredDifferentCheckpoints_failTheAttempt() throws Exception {
    TrainingJob j = job("mismatch");
    j.failWorker = 0;
    j.failAtBatch = 5;
    assertThatThrownBy(() -> LocalGroup.run(j, 2, 0)).isInstanceOf(InjectedFailure.class);
    // worker 1 reports that it restored nothing, as if it had read the dir before the chief's checkpoint
    assertThatThrownBy(() -> LocalGroup.run(j, 2, 1, c -> c.rank() == 1 ? new Forwarding(c) {
      @Override
      public List<byte[]> allGather(byte[] mine) throws IOException {
        return super.allGather("none".getBytes(StandardCharsets.UTF_8));
      }
    } : c)).isInstanceOfSatisfying(ReplicaMismatchException.class,
        e -> assertThat(e.restored()).element(1).isEqualTo("none"));
  }

  /** A collective that forwards every call (tests override one). */
  static class Forwarding implements Collective {
    final Collective c;

    Forwarding(Collective c) {
      this.c = c;
    }

    @Override
    public int rank() {
      return c.rank();
    }

    @Override
    public int size() {
      return c.size();
    }

    @Override
    public void allReduce(float[] buffer) throws IOException {
      c.allReduce(buffer);
    }

    @Override
    public void allReduce(double[] buffer) throws IOException {
      c.allReduce(buffer);
    }

    @Override
    public void barrier() throws IOException {
      c.barrier();
    }

    @Override
    public List<byte[]> allGather(byte[] mine) throws IOException {
      return c.allGather(mine);
    }

    @Override
    public void close() {
      c.close();
    }
  }
}
