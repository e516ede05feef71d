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

  /**
   * Makes the {@code n}-th request <b>from now</b> fail the given way, once: {@code n = 1} is the very next
   * request the hook sees, whatever {@link #requests()} says (the count is relative to this call, never absolute).
   * Replaces any armed fault. The kit draws {@code n} within the requests an operation was seen to make, and counts
   * a fault as injected only if the operation reached it ({@link #requests()} at least {@code n} afterwards).
   */
  void failRequest(long n, Kind kind);

  /**
   * Faults this hook has injected (fired) since it was created, or -1 (the default) if it does not count them.
   * Where counted, the kit counts an armed fault as injected only if this grew; otherwise only if
   * {@link #requests()} reached {@code n}.
   */
  default long injected() {
    return -1;
  }

  /** Disarms the hook and resets {@link #requests()}. */
  void disarm();
}
