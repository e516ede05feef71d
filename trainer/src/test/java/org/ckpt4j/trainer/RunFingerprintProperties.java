package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.List;
import java.util.function.UnaryOperator;
import org.ckpt4j.resume.RunMismatchException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The run fingerprint (issue 18): a run interrupted with a backup, then rerun with exactly one fit argument
 * changed, is refused with {@link RunMismatchException} naming that field; a rerun that changes only the number
 * of epochs resumes. Changes are drawn by QuickTheories, one field at a time.
 */
class RunFingerprintProperties {

  /** The arguments of one fit. */
  record Args(Activation activation, Optimizer optimizer, Loss loss, long seed, int batchSize, boolean shuffle,
      INDArray x, INDArray y, int epochs) {
    static Args base() {
      return new Args(Activation.LINEAR, Optimizer.sgd(1e-5), Loss.MEAN_SQUARED_ERROR, 7, 1, true,
          Fixtures.seedX(), Fixtures.seedY(), 10);
    }

    Sequential model() {
      return Sequential.builder(20).dense(10, activation).optimizer(optimizer).loss(loss).seed(seed).build();
    }

    History fit(List<Callback> callbacks) throws Exception {
      return model().fit(x, y, epochs, batchSize, shuffle, callbacks, false);
    }
  }

  /** One changed argument and the fingerprint field that must be named; {@code null}: must resume. */
  record Change(String what, UnaryOperator<Args> apply, String field) {
    @Override
    public String toString() {
      return what;
    }
  }

  static final List<Change> CHANGES = List.of(
      new Change("activation LINEAR -> RELU", a -> new Args(Activation.RELU, a.optimizer(), a.loss(), a.seed(),
          a.batchSize(), a.shuffle(), a.x(), a.y(), a.epochs()), "model"),
      new Change("optimizer sgd -> adam", a -> new Args(a.activation(), Optimizer.adam(1e-5), a.loss(), a.seed(),
          a.batchSize(), a.shuffle(), a.x(), a.y(), a.epochs()), "optimizer"),
      new Change("learning rate 1e-5 -> 2e-5", a -> new Args(a.activation(), Optimizer.sgd(2e-5), a.loss(),
          a.seed(), a.batchSize(), a.shuffle(), a.x(), a.y(), a.epochs()), "optimizer"),
      new Change("momentum 0 -> 0.9", a -> new Args(a.activation(), Optimizer.sgd(1e-5, 0.9), a.loss(),
          a.seed(), a.batchSize(), a.shuffle(), a.x(), a.y(), a.epochs()), "optimizer"),
      new Change("loss MSE -> categorical cross-entropy", a -> new Args(a.activation(), a.optimizer(),
          Loss.CATEGORICAL_CROSSENTROPY, a.seed(), a.batchSize(), a.shuffle(), a.x(), a.y(), a.epochs()), "loss"),
      new Change("seed 7 -> 8", a -> new Args(a.activation(), a.optimizer(), a.loss(), 8, a.batchSize(),
          a.shuffle(), a.x(), a.y(), a.epochs()), "seed"),
      new Change("batch size 1 -> 2", a -> new Args(a.activation(), a.optimizer(), a.loss(), a.seed(), 2,
          a.shuffle(), a.x(), a.y(), a.epochs()), "batchSize"),
      new Change("shuffle true -> false", a -> new Args(a.activation(), a.optimizer(), a.loss(), a.seed(),
          a.batchSize(), false, a.x(), a.y(), a.epochs()), "shuffle"),
      new Change("x + 1", a -> new Args(a.activation(), a.optimizer(), a.loss(), a.seed(), a.batchSize(),
          a.shuffle(), a.x().add(1), a.y(), a.epochs()), "x"),
      new Change("y zeros -> ones", a -> new Args(a.activation(), a.optimizer(), a.loss(), a.seed(),
          a.batchSize(), a.shuffle(), a.x(), Nd4j.onesLike(a.y()), a.epochs()), "y"),
      new Change("epochs 10 -> 12 (only)", a -> new Args(a.activation(), a.optimizer(), a.loss(), a.seed(),
          a.batchSize(), a.shuffle(), a.x(), a.y(), 12), null));

  @Test
  void changingOneFitArgumentIsRefusedNamingItAndChangingOnlyEpochsResumes() {
    qt().withFixedSeed(18L).withExamples(30).forAll(integers().between(0, CHANGES.size() - 1)
        .map(CHANGES::get)).checkAssert(RunFingerprintProperties::rerunWith);
  }

  /** Every change at least once, whatever QuickTheories draws. */
  @Test
  void everyChangeOnce() {
    CHANGES.forEach(RunFingerprintProperties::rerunWith);
  }

  static void rerunWith(Change change) {
    String dir = Fixtures.memDir("fingerprint");
    Args base = Args.base();
    assertThatThrownBy(() -> base.fit(List.of(new BackupAndRestore(dir), new Fixtures.RaiseAtEpoch(2))))
        .isInstanceOf(Fixtures.Boom.class);
    Args changed = change.apply().apply(base);
    if (change.field() == null) {
      try {
        History h = changed.fit(List.of(new BackupAndRestore(dir)));
        assertThat(h.epochs()).as("%s: the rerun resumes at epoch 2", change).first().isEqualTo(2);
      } catch (Exception e) {
        throw new AssertionError(change + ": the rerun should resume, but failed: " + e, e);
      }
      return;
    }
    assertThatThrownBy(() -> changed.fit(List.of(new BackupAndRestore(dir))))
        .as("%s: a rerun on the interrupted run's backup", change)
        .isInstanceOfSatisfying(RunMismatchException.class, e -> assertThat(e.differingFields())
            .as("%s: differing fields", change).contains(change.field()));
  }
}
