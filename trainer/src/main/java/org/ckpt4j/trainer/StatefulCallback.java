package org.ckpt4j.trainer;

/**
 * A callback whose state is part of the training trajectory (a learning-rate schedule's step counter, an
 * early-stopping patience count). {@link BackupAndRestore} saves {@link #saveState()} in every backup, after
 * every callback's hooks for the batch or epoch have run, and hands it back to {@link #restoreState} before
 * {@link #onTrainBegin} of a resumed run.
 *
 * <p>The state is typed data ({@link CallbackState}: JSON values and named tensors), never serialized objects.
 */
public interface StatefulCallback extends Callback {
  /** A stable name of this callback's state, unique among the callbacks of a fit: {@code [A-Za-z0-9._-]+}. */
  String stateKey();

  CallbackState saveState();

  void restoreState(CallbackState state);
}
