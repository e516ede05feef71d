package org.ckpt4j.tck;

/**
 * A fault hook in the backend's transport (its test server or an HTTP client interceptor), given with
 * {@link TckFixture.Builder#transportFaults(TransportFaults)}. The kit arms it, runs an operation, disarms it,
 * and then checks that the backup dir holds the previous or the new checkpoint, whole.
 *
 * <p>Implementations are thread-safe; only requests of the store under test need to be counted, but counting
 * every request to the test server is fine.
 */
public interface TransportFaults {

  /** How an armed request fails. */
  enum Kind {
    /** The request fails before the server applies it (connection refused or reset, HTTP 500). */
    FAIL_BEFORE,
    /**
     * The server applies the request, then the response is lost (connection reset after the server's work,
     * or HTTP 500 after success). A create-if-absent that the client retries then reports "exists" although it
     * won: the protocol must recognise its own record.
     */
    LOSE_RESPONSE
  }

  /** Requests seen since the hook was created (or since the last {@link #disarm()}); the kit samples N from it. */
  long requests();

  /** Makes the {@code n}-th request from now (1-based) fail the given way, once. Replaces any armed fault. */
  void failRequest(long n, Kind kind);

  /** Disarms the hook and resets {@link #requests()}. */
  void disarm();
}
