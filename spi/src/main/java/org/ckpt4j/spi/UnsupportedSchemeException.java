package org.ckpt4j.spi;

import java.net.URI;
import java.util.Set;

/**
 * No provider on the class path handles the URI's scheme, the URI is malformed for its scheme, or the providers
 * are misconfigured (two for one scheme). The message names the available schemes and the artifact that adds
 * the wanted one.
 */
public final class UnsupportedSchemeException extends CheckpointStoreException {
  private final Set<String> availableSchemes;

  public UnsupportedSchemeException(URI uri, String message, Set<String> availableSchemes) {
    super(uri, message);
    this.availableSchemes = Set.copyOf(availableSchemes);
  }

  /** Lower-case schemes of the providers that loaded. */
  public Set<String> availableSchemes() {
    return availableSchemes;
  }
}
