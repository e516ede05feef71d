package org.ckpt4j.spark;

import java.io.IOException;

/**
 * A collective operation failed: a peer died or closed, stayed silent past the read deadline, or sent a frame of
 * another attempt or operation; or the group was closed. The group is broken: restart all of it.
 */
public final class CollectiveException extends IOException {
  private final int rank;
  private final int peer;

  CollectiveException(int rank, int peer, String message, Throwable cause) {
    super("worker " + rank + (peer >= 0 ? " (peer " + peer + ")" : "") + ": " + message, cause);
    this.rank = rank;
    this.peer = peer;
  }

  /** The worker that raised it. */
  public int rank() {
    return rank;
  }

  /** The peer the failed exchange was with, or -1 if none in particular. */
  public int peer() {
    return peer;
  }
}
