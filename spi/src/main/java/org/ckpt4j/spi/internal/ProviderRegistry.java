package org.ckpt4j.spi.internal;

import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads providers one at a time so that one broken jar does not hide the others (SLF4J, Flink). */
public final class ProviderRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderRegistry.class);

  /** Schemes ckpt4j ships a backend for, and the artifact that adds each. */
  private static final Map<String, String> KNOWN = Map.of(
      "file", "org.ckpt4j:ckpt4j-storage-local",
      "jimfs", "org.ckpt4j:ckpt4j-storage-local",
      "s3", "org.ckpt4j:ckpt4j-storage-s3",
      "gs", "org.ckpt4j:ckpt4j-storage-gcs",
      "mem", "org.ckpt4j:ckpt4j-spi");

  /** Common misspellings and their remedy. */
  private static final Map<String, String> HINTS = Map.of(
      "s3a", "s3a:// is Hadoop's scheme; ckpt4j uses s3://bucket/prefix",
      "s3n", "s3n:// is Hadoop's scheme; ckpt4j uses s3://bucket/prefix",
      "gcs", "did you mean gs://bucket/prefix?",
      "gcp", "did you mean gs://bucket/prefix?",
      "https", "use the store's own scheme (s3://bucket/prefix, gs://bucket/prefix) and set the endpoint as "
          + "an option, not an https:// URL",
      "http", "use the store's own scheme (s3://bucket/prefix, gs://bucket/prefix) and set the endpoint as "
          + "an option, not an http:// URL");

  private final Map<String, List<CheckpointStoreProvider>> bySchemes;
  private final List<String> broken;

  private ProviderRegistry(Map<String, List<CheckpointStoreProvider>> bySchemes, List<String> broken) {
    this.bySchemes = bySchemes;
    this.broken = broken;
  }

  public static Set<String> knownSchemes() {
    return new TreeSet<>(KNOWN.keySet());
  }

  public static ProviderRegistry load() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = ProviderRegistry.class.getClassLoader();
    }
    return load(ServiceLoader.load(CheckpointStoreProvider.class, cl).iterator());
  }

  public static ProviderRegistry load(Iterator<CheckpointStoreProvider> it) {
    Map<String, List<CheckpointStoreProvider>> bySchemes = new TreeMap<>();
    List<String> broken = new ArrayList<>();
    while (true) {
      CheckpointStoreProvider provider;
      try {
        if (!it.hasNext()) {
          break;
        }
        provider = it.next();
      } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
        // One broken jar (missing class, failing constructor) must not hide the other providers.
        LOG.warn("ignoring a checkpoint store provider that failed to load: {}", describe(e));
        broken.add(describe(e));
        continue;
      }
      Set<String> schemes;
      try {
        schemes = provider.schemes();
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("ignoring checkpoint store provider {}: schemes() failed: {}", provider.getClass().getName(),
            e.toString());
        broken.add(provider.getClass().getName() + ": " + e);
        continue;
      }
      for (String scheme : schemes) {
        bySchemes.computeIfAbsent(scheme.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(provider);
      }
    }
    return new ProviderRegistry(bySchemes, broken);
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return e.getMessage() + (root == e ? "" : " (caused by " + root + ")");
  }

  Set<String> schemes() {
    return bySchemes.keySet();
  }

  public CheckpointStoreProvider find(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    List<CheckpointStoreProvider> candidates = bySchemes.getOrDefault(scheme, List.of());
    if (candidates.isEmpty()) {
      throw new UnsupportedSchemeException(uri, missingMessage(scheme), schemes());
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    String key = "ckpt4j.provider." + scheme;
    String chosen = options.property(key).orElse(System.getProperty(key));
    if (chosen != null) {
      for (CheckpointStoreProvider p : candidates) {
        if (p.getClass().getName().equals(chosen)) {
          return p;
        }
      }
      throw new UnsupportedSchemeException(uri, key + "=" + chosen + " names none of the providers for scheme '"
          + scheme + "': " + names(candidates), schemes());
    }
    throw new UnsupportedSchemeException(uri, "several providers handle scheme '" + scheme + "': "
        + names(candidates) + "; remove all but one jar from the class path, or choose one with the option "
        + "or system property " + key + "=<provider class>", schemes());
  }

  private static String names(List<CheckpointStoreProvider> providers) {
    Map<String, String> names = new LinkedHashMap<>();
    for (CheckpointStoreProvider p : providers) {
      String artifact;
      try {
        artifact = p.artifact();
      } catch (RuntimeException e) {
        artifact = "?";
      }
      names.put(p.getClass().getName(), artifact);
    }
    StringBuilder sb = new StringBuilder();
    names.forEach((cls, artifact) -> sb.append(sb.length() == 0 ? "" : ", ").append(cls).append(" (")
        .append(artifact).append(')'));
    return sb.toString();
  }

  private String missingMessage(String scheme) {
    StringBuilder sb = new StringBuilder("no checkpoint store provider for scheme '").append(scheme).append("'");
    String artifact = KNOWN.get(scheme);
    if (artifact != null) {
      sb.append("; add ").append(artifact).append(" to the class path");
    } else if (HINTS.containsKey(scheme)) {
      sb.append("; ").append(HINTS.get(scheme));
    }
    sb.append(". Available schemes: ").append(schemes().isEmpty() ? "none" : String.join(", ", schemes()));
    if (!broken.isEmpty()) {
      sb.append(". Providers that failed to load: ").append(String.join("; ", broken));
    }
    return sb.toString();
  }
}
