package org.ckpt4j.storage.gcs;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;

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
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

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

  private GcsSettings(Lookup in, URI uri, String bucket, String prefix) {
    this.uri = uri;
    this.bucket = bucket;
    this.prefix = prefix;
    Optional<String> configured = in.get(HOST);
    Optional<String> emulator = configured.isPresent() ? Optional.empty() : in.env("STORAGE_EMULATOR_HOST");
    this.host = configured.or(() -> emulator).map(h -> host(in, h));
    this.project = in.get(PROJECT);
    this.noCredentials = in.get(CREDENTIALS).map(v -> credentials(in, v)).orElse(emulator.isPresent());
    this.maxAttempts = in.get(MAX_ATTEMPTS).map(v -> range(in, MAX_ATTEMPTS, v, 1, 20)).orElse(6);
    this.retryDelay = in.get(RETRY_DELAY).map(v -> duration(in, RETRY_DELAY, v)).orElse(Duration.ofSeconds(1));
    this.chunkSize = in.get(CHUNK_SIZE).map(v -> chunk(in, v)).orElse(DEFAULT_CHUNK_SIZE);
    this.connectTimeout = in.get(CONNECT_TIMEOUT).map(v -> duration(in, CONNECT_TIMEOUT, v))
        .orElse(Duration.ofSeconds(5));
    this.readTimeout = in.get(READ_TIMEOUT).map(v -> duration(in, READ_TIMEOUT, v)).orElse(Duration.ofSeconds(60));
    // Without a network a call fails within about this long (was: six attempts with up to 32 s back-off and 20 s
    // connect timeouts, 79 s measured); one slow attempt that is under way is not cut short by it.
    this.timeout = in.get(TIMEOUT).map(v -> duration(in, TIMEOUT, v)).orElse(Duration.ofSeconds(15));
  }

  static GcsSettings parse(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    return parse(uri, options, System.getProperties(), System.getenv());
  }

  static GcsSettings parse(URI uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    URI shown = withoutQuery(uri);
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw malformed(shown, "has no bucket; use gs://bucket/prefix (e.g. gs://my-bucket/runs/run-42)");
    }
    if (uri.getRawUserInfo() != null || hasUserInfo(shown)) {
      throw malformed(shown, "has user info before the bucket; "
          + "credentials do not belong in the URI: use Application Default Credentials "
          + "(GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server)");
    }
    String bucket = uri.getRawAuthority();
    if (!BUCKET.matcher(bucket).matches()) {
      throw malformed(shown, "has an invalid bucket name \"" + bucket + "\" (3-222 characters of [a-z0-9._-], "
          + "starting and ending with a letter or digit)");
    }
    if (uri.getRawFragment() != null) {
      throw malformed(shown, "has a fragment (#...), which gs: URIs do not take");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String trimmed = path.replaceAll("^/+", "").replaceAll("/+$", "");
    if (!trimmed.isEmpty()) {
      for (String segment : trimmed.split("/", -1)) {
        if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
          throw malformed(shown, "has an invalid prefix \"" + trimmed + "\": use /-separated segments of "
              + "[A-Za-z0-9._-], without empty, . or .. segments");
        }
      }
    }
    Map<String, String> query = query(uri, shown);
    for (String name : query.keySet()) {
      if (!NAMES.contains(name)) {
        throw malformed(shown, "has the unknown query parameter \"" + name + "\"; known: "
            + String.join(", ", NAMES));
      }
    }
    for (String key : options.properties().keySet()) {
      if (key.startsWith("gs.") && !NAMES.contains(key.substring(3))) {
        throw new IllegalArgumentException("unknown option \"" + key + "\" for " + shown + "; known: gs.{"
            + String.join(",", NAMES) + "}");
      }
    }
    URI normalized = URI.create("gs://" + bucket + (trimmed.isEmpty() ? "" : "/" + trimmed));
    Lookup lookup = new Lookup(normalized, options, query, system, env);
    return new GcsSettings(lookup, normalized, bucket, trimmed.isEmpty() ? "" : trimmed + "/");
  }

  static URI withoutQuery(URI uri) {
    String s = uri.toString();
    int q = s.indexOf('?');
    return URI.create(q < 0 ? s : s.substring(0, q));
  }

  /**
   * Whether the URI has user info, also when a secret in it holds a {@code /} (then Java parses the part before
   * the {@code /} as the authority and the rest as the path): exactly when redaction would mask some.
   */
  private static boolean hasUserInfo(URI withoutQuery) {
    return Redaction.redact(withoutQuery).startsWith(withoutQuery.getScheme() + "://***@");
  }

  /** A setting's value for a message, with any user info masked, also in a {@code user:pw@host} without scheme. */
  static String shownValue(String value) {
    return value.contains("://") ? Redaction.redact(value) : Redaction.redact("x://" + value).substring(4);
  }

  static UnsupportedSchemeException malformed(URI uri, String why) {
    return new UnsupportedSchemeException(uri, "backup dir URI " + why, Set.of("gs"));
  }

  private static Map<String, String> query(URI uri, URI shown) throws UnsupportedSchemeException {
    Map<String, String> query = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return query;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (query.put(name, value) != null) {
        throw malformed(shown, "has the query parameter \"" + name + "\" twice");
      }
    }
    return query;
  }

  /** {@code http://host:port}, {@code https://host}, or {@code host:port} (as in STORAGE_EMULATOR_HOST). */
  private static String host(Lookup in, String value) {
    String v = value.trim();
    if (!v.contains("://")) {
      v = "http://" + v;
    }
    try {
      URI h = new URI(v);
      String scheme = h.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || h.getHost() == null) {
        throw in.bad(HOST, "must be an http(s) URL or host:port, e.g. http://127.0.0.1:4443, got \""
            + shownValue(value) + "\"");
      }
      if (h.getRawUserInfo() != null) {
        throw in.bad(HOST, "must not carry user info (credentials)");
      }
      return v.replaceAll("/+$", "");
    } catch (URISyntaxException e) {
      throw in.bad(HOST, "is not a URL: " + e.getReason());
    }
  }

  private static boolean credentials(Lookup in, String v) {
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "none":
        return true;
      case "default":
        return false;
      default:
        throw in.bad(CREDENTIALS, "must be \"default\" (Application Default Credentials) or \"none\" (for test "
            + "servers and emulators), got \"" + v + "\"");
    }
  }

  private static int range(Lookup in, String name, String v, int min, int max) {
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw in.bad(name, "must be an integer from " + min + " to " + max + ", got \"" + v + "\"");
  }

  /** Bytes with an optional binary suffix, a multiple of 256 KiB: {@code 8MiB}, {@code 262144}, {@code 512k}. */
  private static int chunk(Lookup in, String v) {
    Matcher m = Pattern.compile("(\\d{1,12})\\s*(|b|k|kb|kib|m|mb|mib)").matcher(v.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2);
      long bytes = n << (unit.startsWith("k") ? 10 : unit.startsWith("m") ? 20 : 0);
      if (bytes >= CHUNK_QUANTUM && bytes <= MAX_CHUNK_SIZE && bytes % CHUNK_QUANTUM == 0) {
        return (int) bytes;
      }
    }
    throw in.bad(CHUNK_SIZE, "must be a multiple of 256KiB from 256KiB to 256MiB (resumable upload chunks), got \""
        + v + "\"");
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m}, or ISO-8601 ({@code PT10S}). */
  private static Duration duration(Lookup in, String name, String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    try {
      Duration d = null;
      if (s.startsWith("pt")) {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } else if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      } else if (s.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).trim()));
      } else if (s.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).trim()));
      }
      if (d != null && !d.isNegative() && !d.isZero()) {
        return d;
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw in.bad(name, "must be a positive duration such as 500ms, 10s, 2m or PT10S, got \"" + v + "\"");
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

  /** Where each setting comes from, in order of precedence. */
  private static final class Lookup {
    private final URI shown;
    private final StoreOptions options;
    private final Map<String, String> query;
    private final Properties system;
    private final Map<String, String> env;
    private final Map<String, String> origin = new LinkedHashMap<>();

    Lookup(URI shown, StoreOptions options, Map<String, String> query, Properties system, Map<String, String> env) {
      this.shown = shown;
      this.options = options;
      this.query = query;
      this.system = system;
      this.env = env;
    }

    Optional<String> get(String name) {
      Optional<String> v = options.property("gs." + name).filter(s -> !s.isBlank());
      if (v.isPresent()) {
        origin.put(name, "option gs." + name);
        return v;
      }
      v = Optional.ofNullable(query.get(name)).filter(s -> !s.isBlank());
      if (v.isPresent()) {
        origin.put(name, "query parameter " + name);
        return v;
      }
      v = Optional.ofNullable(system.getProperty("ckpt4j.gs." + name)).filter(s -> !s.isBlank());
      v.ifPresent(x -> origin.put(name, "system property ckpt4j.gs." + name));
      return v;
    }

    Optional<String> env(String name) {
      Optional<String> v = Optional.ofNullable(env.get(name)).filter(s -> !s.isBlank());
      v.ifPresent(x -> origin.put(HOST, "environment variable " + name));
      return v;
    }

    IllegalArgumentException bad(String name, String why) {
      return new IllegalArgumentException(Redaction.redact(shown + ": " + origin.getOrDefault(name, "setting "
          + name) + " " + why));
    }
  }
}
