package org.ckpt4j.storage.s3;

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
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import software.amazon.awssdk.core.retry.RetryMode;

/**
 * The parsed configuration of one {@code s3://bucket/prefix} backup dir. Each setting is looked up, first match
 * wins, in the options ({@code s3.<name>}), the URI query ({@code <name>}), the system properties
 * ({@code ckpt4j.s3.<name>}) and, for the endpoint, the environment ({@code AWS_ENDPOINT_URL_S3},
 * {@code AWS_ENDPOINT_URL}, as the AWS CLI does). Credentials are never accepted in the URI: URIs end up in logs
 * and error messages.
 */
final class S3Settings {
  static final String ENDPOINT = "endpoint";
  static final String PATH_STYLE = "path-style";
  static final String REGION = "region";
  static final String ACCESS_KEY = "access-key";
  static final String SECRET_KEY = "secret-key";
  static final String SESSION_TOKEN = "session-token";
  static final String MAX_ATTEMPTS = "max-attempts";
  static final String PART_SIZE = "part-size";
  static final String PARALLELISM = "parallelism";
  static final String CONNECT_TIMEOUT = "connect-timeout";
  static final String READ_TIMEOUT = "read-timeout";
  /** Not a ckpt4j setting: the SDK's retry mode, named in messages about it. */
  private static final String RETRY_MODE = "retry-mode";

  static final List<String> NAMES = List.of(ENDPOINT, PATH_STYLE, REGION, ACCESS_KEY, SECRET_KEY, SESSION_TOKEN,
      MAX_ATTEMPTS, PART_SIZE, PARALLELISM, CONNECT_TIMEOUT, READ_TIMEOUT);
  private static final Set<String> SECRET = Set.of(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN);

  static final long MIN_PART_SIZE = 5L << 20;
  static final long MAX_PART_SIZE = 1L << 30;
  static final long DEFAULT_PART_SIZE = 8L << 20;

  /** S3 bucket names, plus upper case and underscores that some S3-compatible stores allow. */
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{2,254}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  final URI uri;
  final String bucket;
  /** The key prefix of the backup dir: empty or ending with {@code /}. */
  final String prefix;
  final Optional<URI> endpoint;
  /** Where the endpoint was set (an option, the environment, the AWS profile), for messages; empty for AWS. */
  final String endpointOrigin;
  final boolean pathStyle;
  final Optional<String> region;
  final Optional<String> accessKey;
  final Optional<String> secretKey;
  final Optional<String> sessionToken;
  final int maxAttempts;
  /** The SDK's retry mode: the user's ({@code AWS_RETRY_MODE}, {@code aws.retryMode}, the profile), else standard. */
  final RetryMode retryMode;
  final long partSize;
  final int parallelism;
  final Duration connectTimeout;
  final Duration readTimeout;

  private S3Settings(Lookup in, URI uri, String bucket, String prefix) throws UnsupportedSchemeException {
    this.uri = uri;
    this.bucket = bucket;
    this.prefix = prefix;
    // ckpt4j's own settings first, then the endpoint the SDK itself would take from the environment or the AWS
    // profile: ckpt4j passes it on as the override, so that path-style and messages follow it wherever it was set.
    this.endpoint = in.get(ENDPOINT).or(() -> in.fromAws(ENDPOINT, in.aws.endpoint())).map(e -> endpoint(in, e));
    this.endpointOrigin = endpoint.isPresent() ? in.origin.get(ENDPOINT) : "";
    // S3-compatible servers (MinIO, Ceph, S3Proxy) mostly need path-style requests (and a host such as localhost
    // or an IP address cannot take virtual-hosted ones); AWS itself wants virtual-hosted ones. So path-style is the
    // default exactly when an endpoint is configured, whatever its origin.
    this.pathStyle = in.get(PATH_STYLE).map(v -> bool(in, PATH_STYLE, v)).orElse(endpoint.isPresent());
    this.region = in.get(REGION);
    this.accessKey = in.get(ACCESS_KEY);
    this.secretKey = in.get(SECRET_KEY);
    this.sessionToken = in.get(SESSION_TOKEN);
    if (accessKey.isPresent() != secretKey.isPresent()) {
      throw in.bad(accessKey.isPresent() ? SECRET_KEY : ACCESS_KEY, "must be set together with "
          + (accessKey.isPresent() ? ACCESS_KEY : SECRET_KEY) + " (or leave both unset to use the default AWS "
          + "credentials chain)");
    }
    // The SDK's own AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (and their properties) win over ckpt4j's defaults.
    this.maxAttempts = in.get(MAX_ATTEMPTS).map(v -> range(in, MAX_ATTEMPTS, v, 1, 20))
        .or(() -> in.fromAws(MAX_ATTEMPTS, in.aws.get("aws.maxAttempts", "AWS_MAX_ATTEMPTS", "max_attempts"))
            .map(v -> range(in, MAX_ATTEMPTS, v, 1, 100)))
        .orElse(3);
    this.retryMode = in.fromAws(RETRY_MODE, in.aws.get("aws.retryMode", "AWS_RETRY_MODE", "retry_mode"))
        .map(v -> retryMode(in, v)).orElse(RetryMode.STANDARD);
    this.partSize = in.get(PART_SIZE).map(v -> size(in, v)).orElse(DEFAULT_PART_SIZE);
    this.parallelism = in.get(PARALLELISM).map(v -> range(in, PARALLELISM, v, 1, 64)).orElse(4);
    this.connectTimeout = in.get(CONNECT_TIMEOUT).map(v -> duration(in, CONNECT_TIMEOUT, v))
        .orElse(Duration.ofSeconds(5));
    this.readTimeout = in.get(READ_TIMEOUT).map(v -> duration(in, READ_TIMEOUT, v)).orElse(Duration.ofSeconds(60));
  }

  /** Parses the backup dir's URI and settings with this JVM's system properties and environment. */
  static S3Settings parse(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    return parse(uri, options, System.getProperties(), System.getenv());
  }

  static S3Settings parse(URI uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    URI shown = withoutQuery(uri);
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw malformed(shown, "has no bucket; use s3://bucket/prefix (e.g. s3://my-bucket/runs/run-42)");
    }
    if (uri.getRawUserInfo() != null || hasUserInfo(shown)) {
      // Never echo the user info: it may be an access key and secret.
      throw malformed(shown, "has user info before the bucket; "
          + "credentials do not belong in the URI: use the default AWS credentials chain (AWS_ACCESS_KEY_ID, "
          + "AWS_PROFILE, ~/.aws/credentials, instance roles) or the options s3.access-key / s3.secret-key");
    }
    String bucket = uri.getRawAuthority();
    if (!BUCKET.matcher(bucket).matches()) {
      throw malformed(shown, "has an invalid bucket name \"" + bucket + "\" (3-255 characters of "
          + "[a-z0-9.-], starting with a letter or digit)");
    }
    if (uri.getRawFragment() != null) {
      throw malformed(shown, "has a fragment (#...), which s3: URIs do not take");
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
      if (SECRET.contains(name)) {
        throw malformed(shown, "has the query parameter " + name + "; credentials do not belong in the URI "
            + "(it ends up in logs): use the option s3." + name + ", the system property ckpt4j.s3." + name
            + " or the default AWS credentials chain");
      }
      if (!NAMES.contains(name)) {
        throw malformed(shown, "has the unknown query parameter \"" + name + "\"; known: " + known());
      }
    }
    for (String key : options.properties().keySet()) {
      if (key.startsWith("s3.") && !NAMES.contains(key.substring(3))) {
        throw new IllegalArgumentException("unknown option \"" + key + "\" for " + shown + "; known: s3.{"
            + String.join(",", NAMES) + "}");
      }
    }
    String normalized = "s3://" + bucket + (trimmed.isEmpty() ? "" : "/" + trimmed)
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    Lookup lookup = new Lookup(withoutQuery(URI.create(normalized)), options, query, system,
        AwsConfig.load(system, env));
    return new S3Settings(lookup, URI.create(normalized), bucket, trimmed.isEmpty() ? "" : trimmed + "/");
  }

  /** The URI without its query (for messages about the URI itself). */
  static URI withoutQuery(URI uri) {
    String s = uri.toString();
    int q = s.indexOf('?');
    return URI.create(q < 0 ? s : s.substring(0, q));
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

  private static String known() {
    Set<String> names = new TreeSet<>(NAMES);
    names.removeAll(SECRET);
    return String.join(", ", names);
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
    return new UnsupportedSchemeException(uri, "backup dir URI " + why, Set.of("s3"));
  }

  private static URI endpoint(Lookup in, String value) {
    try {
      URI e = new URI(value.trim());
      String scheme = e.getScheme() == null ? "" : e.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || e.getHost() == null) {
        throw in.bad(ENDPOINT, "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000, got \""
            + shownValue(value) + "\"");
      }
      if (e.getRawUserInfo() != null) {
        throw in.bad(ENDPOINT, "must not carry user info (credentials): give them as s3.access-key and "
            + "s3.secret-key or through the default AWS credentials chain");
      }
      return e;
    } catch (URISyntaxException ex) {
      throw in.bad(ENDPOINT, "is not a URL: " + ex.getReason());
    }
  }

  private static RetryMode retryMode(Lookup in, String v) {
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "legacy":
        return RetryMode.LEGACY;
      case "standard":
        return RetryMode.STANDARD;
      case "adaptive":
        return RetryMode.ADAPTIVE;
      case "adaptive_v2":
        return RetryMode.ADAPTIVE_V2;
      default:
        throw in.bad(RETRY_MODE, "must be legacy, standard, adaptive or adaptive_v2, got \"" + v + "\"");
    }
  }

  private static boolean bool(Lookup in, String name, String v) {
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "1":
        return true;
      case "false":
      case "no":
      case "0":
        return false;
      default:
        throw in.bad(name, "must be true or false, got \"" + v + "\"");
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

  /** Bytes, with an optional binary suffix: {@code 8388608}, {@code 8MiB}, {@code 8m}, {@code 1g}. */
  private static long size(Lookup in, String v) {
    java.util.regex.Matcher m = Pattern.compile("(\\d{1,12})\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)")
        .matcher(v.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2);
      long bytes = n << (unit.startsWith("k") ? 10 : unit.startsWith("m") ? 20 : unit.startsWith("g") ? 30 : 0);
      if (bytes >= MIN_PART_SIZE && bytes <= MAX_PART_SIZE) {
        return bytes;
      }
    }
    throw in.bad(PART_SIZE, "must be a size from 5MiB to 1GiB (S3 parts are at least 5 MiB), got \"" + v + "\"");
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m}, or an ISO-8601 duration ({@code PT10S}). */
  private static Duration duration(Lookup in, String name, String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (s.startsWith("pt")) {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } else if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      } else if (s.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).trim()));
      } else if (s.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).trim()));
      } else {
        d = null;
      }
      if (d != null && !d.isNegative() && !d.isZero()) {
        return d;
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw in.bad(name, "must be a positive duration such as 500ms, 10s, 2m or PT10S, got \"" + v + "\"");
  }

  @Override
  public String toString() {
    // Never the credentials: only whether they are set.
    return Redaction.redact("S3Settings{" + uri + ", endpoint=" + endpoint.map(URI::toString).orElse("(AWS)")
        + (endpoint.isPresent() ? " (" + endpointOrigin + ")" : "") + ", pathStyle=" + pathStyle + ", region=" + region.orElse("(default chain)") + ", credentials="
        + (accessKey.isPresent() ? "static" : "default chain") + ", retryMode=" + retryMode + ", maxAttempts="
        + maxAttempts + ", partSize="
        + partSize + ", parallelism=" + parallelism + "}");
  }

  /** Where each setting comes from, in order of precedence. */
  private static final class Lookup {
    private final URI shown;
    private final StoreOptions options;
    private final Map<String, String> query;
    private final Properties system;
    final AwsConfig aws;
    final Map<String, String> origin = new LinkedHashMap<>();

    Lookup(URI shown, StoreOptions options, Map<String, String> query, Properties system, AwsConfig aws) {
      this.shown = shown;
      this.options = options;
      this.query = query;
      this.system = system;
      this.aws = aws;
    }

    Optional<String> get(String name) {
      Optional<String> v = options.property("s3." + name).filter(s -> !s.isBlank());
      if (v.isPresent()) {
        origin.put(name, "option s3." + name);
        return v;
      }
      v = Optional.ofNullable(query.get(name)).filter(s -> !s.isBlank());
      if (v.isPresent()) {
        origin.put(name, "query parameter " + name);
        return v;
      }
      v = Optional.ofNullable(system.getProperty("ckpt4j.s3." + name)).filter(s -> !s.isBlank());
      if (v.isPresent()) {
        origin.put(name, "system property ckpt4j.s3." + name);
      }
      return v;
    }

    /** A setting of the AWS SDK's own, recorded as the origin of {@code name}. */
    Optional<String> fromAws(String name, Optional<AwsConfig.Value> v) {
      v.ifPresent(x -> origin.put(name, x.origin()));
      return v.map(AwsConfig.Value::value);
    }

    IllegalArgumentException bad(String name, String why) {
      return new IllegalArgumentException(Redaction.redact(shown + ": " + origin.getOrDefault(name, "setting "
          + name) + " " + why));
    }
  }
}
