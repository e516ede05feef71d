package org.ckpt4j.resume;

/**
 * A part of a training run whose state is part of the trajectory besides the model and optimizer (a
 * learning-rate schedule's step counter, an early-stopping patience count): {@link BackupAndRestore} saves
 * {@link #saveState()} in every backup and hands it back to {@link #restoreState} on resume, before training
 * continues. The ND4J trainer's {@code StatefulCallback}s are adapted to this.
 */
public interface StatefulState {
  /** A stable name of this state, unique within a run: {@code [A-Za-z0-9._-]{1,100}}. */
  String stateKey();

  CallbackState saveState();

  /**
   * Takes the state back; an exception refuses it (the checkpoint is then treated as unreadable, naming this
   * callback).
   */
  void restoreState(CallbackState state);
}
