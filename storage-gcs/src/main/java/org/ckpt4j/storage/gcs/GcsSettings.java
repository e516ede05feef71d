package org.ckpt4j.storage.gcs;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.BackendSettings;

/**
 * The parsed configuration of one {@code gs://bucket/prefix} backup dir. Each setting is looked up, first match
 * wins, in the options ({@code gs.<name>}), the URI query ({@code <name>}), the system properties
 * ({@code ckpt4j.gs.<name>}) and, for the host, the environment variable {@code STORAGE_EMULATOR_HOST} (which other
 * Google clients honour and the Java client ignores). With an emulator host from the environment and no
 * {@code credentials} setting, no credentials are sent, as other Google clients do for emulators.
 */
final class GcsSettings {
  static final String HOST = "host";
  static final String PROJECT = "project";
  static final String CREDENTIALS = "credentials";
  static final String MAX_ATTEMPTS = "max-attempts";
  static final String RETRY_DELAY = "retry-delay";
  static final String CHUNK_SIZE = "chunk-size";
  static final String CONNECT_TIMEOUT = "connect-timeout";
  static final String READ_TIMEOUT = "read-timeout";
  static final String TIMEOUT = "timeout";
  static final List<String> NAMES = List.of(HOST, PROJECT, CREDENTIALS, MAX_ATTEMPTS, RETRY_DELAY, CHUNK_SIZE,
      CONNECT_TIMEOUT, READ_TIMEOUT, TIMEOUT);

  /** Resumable upload chunks must be multiples of 256 KiB. */
  static final int CHUNK_QUANTUM = 256 * 1024;
  static final int DEFAULT_CHUNK_SIZE = 8 << 20;
  static final int MAX_CHUNK_SIZE = 256 << 20;

  /** GCS bucket names: 3-63 characters (up to 222 with dots) of lower-case letters, digits, -, _ and . */
  private static final BackendSettings.Rules RULES = new BackendSettings.Rules("gs", NAMES, Set.of(),
      Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]"),
      "3-222 characters of [a-z0-9._-], starting and ending with a letter or digit",
      "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, "
          + "the metadata server)");

  final URI uri;
  final String bucket;
  /** The object name prefix of the backup dir: empty or ending with {@code /}. */
  final String prefix;
  /** The endpoint ({@code http://127.0.0.1:4443}); empty for Google Cloud Storage itself. */
  final Optional<String> host;
  final Optional<String> project;
  /** {@code true}: send no credentials; {@code false}: Application Default Credentials. */
  final boolean noCredentials;
  final int maxAttempts;
  final Duration retryDelay;
  final int chunkSize;
  final Duration connectTimeout;
  final Duration readTimeout;
  /** How long a call keeps retrying: no new attempt starts after it (one under way finishes or times out). */
  final Duration timeout;

  private GcsSettings(BackendSettings in) {
    this.uri = in.uri();
    this.bucket = in.bucket();
    this.prefix = in.prefix();
    Optional<String> configured = in.get(HOST);
    Optional<String> emulator = configured.isPresent() ? Optional.empty() : in.env(HOST, "STORAGE_EMULATOR_HOST");
    this.host = configured.or(() -> emulator).map(h -> host(in, h));
    this.project = in.get(PROJECT);
    this.noCredentials = in.get(CREDENTIALS).map(v -> credentials(in, v)).orElse(emulator.isPresent());
    this.maxAttempts = in.get(MAX_ATTEMPTS).map(v -> in.intRange(MAX_ATTEMPTS, v, 1, 20)).orElse(6);
    this.retryDelay = in.get(RETRY_DELAY).map(v -> in.duration(RETRY_DELAY, v)).orElse(Duration.ofSeconds(1));
    this.chunkSize = in.get(CHUNK_SIZE).map(v -> (int) in.size(CHUNK_SIZE, v,
        n -> n >= CHUNK_QUANTUM && n <= MAX_CHUNK_SIZE && n % CHUNK_QUANTUM == 0,
        "a multiple of 256KiB from 256KiB to 256MiB (resumable upload chunks)")).orElse(DEFAULT_CHUNK_SIZE);
    this.connectTimeout = in.get(CONNECT_TIMEOUT).map(v -> in.duration(CONNECT_TIMEOUT, v))
        .orElse(Duration.ofSeconds(5));
    this.readTimeout = in.get(READ_TIMEOUT).map(v -> in.duration(READ_TIMEOUT, v)).orElse(Duration.ofSeconds(60));
    // Without a network a call fails within about this long (was: six attempts with up to 32 s back-off and 20 s
    // connect timeouts, 79 s measured); one slow attempt that is under way is not cut short by it.
    this.timeout = in.get(TIMEOUT).map(v -> in.duration(TIMEOUT, v)).orElse(Duration.ofSeconds(15));
  }

  static GcsSettings parse(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    return parse(uri, options, System.getProperties(), System.getenv());
  }

  static GcsSettings parse(URI uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    return new GcsSettings(BackendSettings.parse(RULES, uri, options, system, env));
  }

  /** {@code http://host:port}, {@code https://host}, or {@code host:port} (as in STORAGE_EMULATOR_HOST). */
  private static String host(BackendSettings in, String value) {
    String v = value.trim();
    if (!v.contains("://")) {
      v = "http://" + v;
    }
    try {
      URI h = new URI(v);
      String scheme = h.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || h.getHost() == null) {
        throw in.invalid(HOST, "must be an http(s) URL or host:port, e.g. http://127.0.0.1:4443, got \""
            + BackendSettings.shownValue(value) + "\"");
      }
      if (h.getRawUserInfo() != null) {
        throw in.invalid(HOST, "must not carry user info (credentials)");
      }
      return v.replaceAll("/+$", "");
    } catch (URISyntaxException e) {
      throw in.invalid(HOST, "is not a URL: " + e.getReason());
    }
  }

  private static boolean credentials(BackendSettings in, String v) {
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "none":
        return true;
      case "default":
        return false;
      default:
        throw in.invalid(CREDENTIALS, "must be \"default\" (Application Default Credentials) or \"none\" (for "
            + "test servers and emulators), got \"" + v + "\"");
    }
  }

  /** Where the endpoint is, for messages. */
  String endpointName() {
    return host.orElse("Google Cloud Storage");
  }

  @Override
  public String toString() {
    return Redaction.redact("GcsSettings{" + uri + ", host=" + endpointName() + ", project="
        + project.orElse("(default)") + ", credentials=" + (noCredentials ? "none" : "application default")
        + ", maxAttempts=" + maxAttempts + ", timeout=" + timeout + ", chunkSize=" + chunkSize + "}");
  }
}
