package org.ckpt4j.storage.s3;

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
  private static final BackendSettings.Rules RULES = new BackendSettings.Rules("s3", NAMES, SECRET,
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{2,254}"),
      "3-255 characters of [a-z0-9.-], starting with a letter or digit",
      "the default AWS credentials chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials, instance roles) or "
          + "the options s3.access-key / s3.secret-key");

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

  private S3Settings(BackendSettings in, AwsConfig aws, URI uri) {
    this.uri = uri;
    this.bucket = in.bucket();
    this.prefix = in.prefix();
    // ckpt4j's own settings first, then the endpoint the SDK itself would take from the environment or the AWS
    // profile: ckpt4j passes it on as the override, so that path-style and messages follow it wherever it was set.
    this.endpoint = in.get(ENDPOINT).or(() -> fromAws(in, ENDPOINT, aws.endpoint())).map(e -> endpoint(in, e));
    this.endpointOrigin = endpoint.isPresent() ? in.origin(ENDPOINT) : "";
    // S3-compatible servers (MinIO, Ceph, S3Proxy) mostly need path-style requests (and a host such as localhost
    // or an IP address cannot take virtual-hosted ones); AWS itself wants virtual-hosted ones. So path-style is the
    // default exactly when an endpoint is configured, whatever its origin.
    this.pathStyle = in.get(PATH_STYLE).map(v -> in.bool(PATH_STYLE, v)).orElse(endpoint.isPresent());
    this.region = in.get(REGION);
    this.accessKey = in.get(ACCESS_KEY);
    this.secretKey = in.get(SECRET_KEY);
    this.sessionToken = in.get(SESSION_TOKEN);
    if (accessKey.isPresent() != secretKey.isPresent()) {
      throw in.invalid(accessKey.isPresent() ? SECRET_KEY : ACCESS_KEY, "must be set together with "
          + (accessKey.isPresent() ? ACCESS_KEY : SECRET_KEY) + " (or leave both unset to use the default AWS "
          + "credentials chain)");
    }
    // The SDK's own AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (and their properties) win over ckpt4j's defaults.
    this.maxAttempts = in.get(MAX_ATTEMPTS).map(v -> in.intRange(MAX_ATTEMPTS, v, 1, 20))
        .or(() -> fromAws(in, MAX_ATTEMPTS, aws.get("aws.maxAttempts", "AWS_MAX_ATTEMPTS", "max_attempts"))
            .map(v -> in.intRange(MAX_ATTEMPTS, v, 1, 100)))
        .orElse(3);
    this.retryMode = fromAws(in, RETRY_MODE, aws.get("aws.retryMode", "AWS_RETRY_MODE", "retry_mode"))
        .map(v -> retryMode(in, v)).orElse(RetryMode.STANDARD);
    this.partSize = in.get(PART_SIZE).map(v -> in.size(PART_SIZE, v,
        n -> n >= MIN_PART_SIZE && n <= MAX_PART_SIZE, "a size from 5MiB to 1GiB (S3 parts are at least 5 MiB)"))
        .orElse(DEFAULT_PART_SIZE);
    this.parallelism = in.get(PARALLELISM).map(v -> in.intRange(PARALLELISM, v, 1, 64)).orElse(4);
    this.connectTimeout = in.get(CONNECT_TIMEOUT).map(v -> in.duration(CONNECT_TIMEOUT, v))
        .orElse(Duration.ofSeconds(5));
    this.readTimeout = in.get(READ_TIMEOUT).map(v -> in.duration(READ_TIMEOUT, v)).orElse(Duration.ofSeconds(60));
  }

  /** Parses the backup dir's URI and settings with this JVM's system properties and environment. */
  static S3Settings parse(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    return parse(uri, options, System.getProperties(), System.getenv());
  }

  static S3Settings parse(URI uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    BackendSettings in = BackendSettings.parse(RULES, uri, options, system, env);
    URI normalized = URI.create(in.uri() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    return new S3Settings(in, AwsConfig.load(system, env), normalized);
  }

  /** A setting of the AWS SDK's own, recorded as the origin of {@code name}. */
  private static Optional<String> fromAws(BackendSettings in, String name, Optional<AwsConfig.Value> v) {
    return v.flatMap(x -> in.found(name, Optional.of(x.value()), x.origin()));
  }

  private static URI endpoint(BackendSettings in, String value) {
    try {
      URI e = new URI(value.trim());
      String scheme = e.getScheme() == null ? "" : e.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || e.getHost() == null) {
        throw in.invalid(ENDPOINT, "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000, "
            + "got \"" + BackendSettings.shownValue(value) + "\"");
      }
      if (e.getRawUserInfo() != null) {
        throw in.invalid(ENDPOINT, "must not carry user info (credentials): give them as s3.access-key and "
            + "s3.secret-key or through the default AWS credentials chain");
      }
      return e;
    } catch (URISyntaxException ex) {
      throw in.invalid(ENDPOINT, "is not a URL: " + ex.getReason());
    }
  }

  private static RetryMode retryMode(BackendSettings in, String v) {
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
        throw in.invalid(RETRY_MODE, "must be legacy, standard, adaptive or adaptive_v2, got \"" + v + "\"");
    }
  }

  @Override
  public String toString() {
    // Never the credentials: only whether they are set.
    return Redaction.redact("S3Settings{" + uri + ", endpoint=" + endpoint.map(URI::toString).orElse("(AWS)")
        + (endpoint.isPresent() ? " (" + endpointOrigin + ")" : "") + ", pathStyle=" + pathStyle + ", region="
        + region.orElse("(default chain)") + ", credentials=" + (accessKey.isPresent() ? "static" : "default chain")
        + ", retryMode=" + retryMode + ", maxAttempts=" + maxAttempts + ", partSize=" + partSize + ", parallelism="
        + parallelism + "}");
  }
}
