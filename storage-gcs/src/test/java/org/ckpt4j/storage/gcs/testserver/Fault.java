package org.ckpt4j.storage.gcs.testserver;

/** How an armed request of the {@link GcsTestServer} fails (see {@link GcsTestServer#failRequest}). */
public enum Fault {
  /** Answer HTTP 503 {@code backendError} without applying the request (the client retries idempotent calls). */
  SERVICE_UNAVAILABLE_BEFORE(false, false),
  /** Close the connection without an answer and without applying the request. */
  DROP_BEFORE(false, true),
  /**
   * For a resumable upload chunk: keep the first half of the chunk's bytes, then close the connection without
   * an answer, like a connection that broke mid-upload. The client must query the session and resume from the
   * persisted offset. Other requests are dropped before they are applied.
   */
  DROP_MID_UPLOAD(false, true),
  /** Apply the request, then answer HTTP 503 instead of the real response ("response lost after success"). */
  SERVICE_UNAVAILABLE_AFTER(true, false),
  /** Apply the request, then close the connection without an answer ("response lost after success"). */
  DROP_AFTER(true, true);

  final boolean applies;
  final boolean drops;

  Fault(boolean applies, boolean drops) {
    this.applies = applies;
    this.drops = drops;
  }
}
