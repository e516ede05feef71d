package org.ckpt4j.spi;

import java.net.URI;
import java.util.Set;

/**
 * No provider on the class path handles the URI's scheme, the URI is malformed for its scheme, or the providers
 * are misconfigured (two for one scheme). The message names the available schemes and the artifact that adds
 * the wanted one.
 */
public final class UnsupportedSchemeException extends CheckpointStoreException {
  /** Lower-case schemes of the providers that loaded. */
  private final Set<String> availableSchemes;

  /**
   * The URI cannot be opened by any provider.
   *
   * @param uri the URI, or {@code null} when it could not be parsed; printed redacted
   * @param message what is wrong and the remedy
   * @param availableSchemes the lower-case schemes of the providers that loaded
   */
  public UnsupportedSchemeException(URI uri, String message, Set<String> availableSchemes) {
    super(uri, message);
    this.availableSchemes = Set.copyOf(availableSchemes);
  }

  /** Lower-case schemes of the providers that loaded. */
  public Set<String> availableSchemes() {
    return availableSchemes;
  }
}
