package org.ckpt4j.spi.backend;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;

/**
 * The settings of one {@code scheme://bucket/prefix} backup dir of an object-store backend, for backend authors.
 *
 * <p>{@link #parse} checks the URI (a bucket that matches the backend's rule, no user info, no fragment, a prefix
 * of {@code /}-separated segments of {@code [A-Za-z0-9._-]}, no unknown or secret query parameter, no unknown
 * {@code scheme.*} option). {@link #get} then looks a setting up, first match wins, in
 *
 * <ol>
 *   <li>the {@link StoreOptions} property {@code <scheme>.<name>},
 *   <li>the URI's query parameter {@code <name>},
 *   <li>the system property {@code ckpt4j.<scheme>.<name>};
 * </ol>
 *
 * <p>and {@link #env} in an environment variable. Blank values count as unset. Each value found remembers its
 * origin, so that the typed parsers ({@link #bool}, {@link #intRange}, {@link #size}, {@link #duration}) and
 * {@link #invalid} throw an {@link IllegalArgumentException} that names the URI, the setting and where it was set
 * ({@code s3://b/p: option s3.part-size must be ...}), and the accepted form. Every message passes through {@link
 * Redaction#redact}. Instances are not thread-safe: build the backend's settings object from one, then drop it.
 */
public final class BackendSettings {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern SIZE =
      Pattern.compile("(\\d{1,12})\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)");

  /**
   * What a backend's URIs and settings look like.
   *
   * @param scheme the URI scheme, also the prefix of option names ({@code s3})
   * @param names the settings the backend knows, in the order messages list them
   * @param secrets those of {@code names} that must never come from the URI (credentials)
   * @param bucket the backend's bucket name rule
   * @param bucketRule the rule in words, for messages ({@code 3-63 characters of [a-z0-9.-]})
   * @param credentialsRemedy where credentials go instead of the URI, completing "use ..." ({@code the default AWS
   *     credentials chain})
   */
  public record Rules(
      String scheme,
      List<String> names,
      Set<String> secrets,
      Pattern bucket,
      String bucketRule,
      String credentialsRemedy) {
    /** Copies the collections. */
    public Rules {
      names = List.copyOf(names);
      secrets = Set.copyOf(secrets);
    }
  }

  private final Rules rules;
  private final URI uri;
  private final String bucket;
  private final String prefix;
  private final StoreOptions options;
  private final Map<String, String> query;
  private final Properties system;
  private final Map<String, String> env;
  private final Map<String, String> origins = new LinkedHashMap<>();

  private BackendSettings(Rules rules, URI uri, String bucket, String prefix, StoreOptions options,
      Map<String, String> query, Properties system, Map<String, String> env) {
    this.rules = rules;
    this.uri = uri;
    this.bucket = bucket;
    this.prefix = prefix;
    this.options = options;
    this.query = query;
    this.system = system;
    this.env = env;
  }

  /**
   * Checks a backup dir's URI and options against the backend's rules.
   *
   * @param rules the backend's rules
   * @param uri the backup dir, {@code scheme://bucket/prefix?name=value}
   * @param options the store options; their {@code <scheme>.*} properties are settings
   * @param system the system properties to read ({@link System#getProperties()}, or a test's)
   * @param env the environment to read ({@link System#getenv()}, or a test's)
   * @return the settings, ready for lookups
   * @throws UnsupportedSchemeException if the URI is malformed (the message says how)
   * @throws IllegalArgumentException if an option {@code <scheme>.<name>} is unknown
   */
  public static BackendSettings parse(Rules rules, URI uri, StoreOptions options, Properties system,
      Map<String, String> env) throws UnsupportedSchemeException {
    String scheme = rules.scheme();
    URI shown = withoutQuery(uri);
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw malformed(rules, shown, "has no bucket; use " + scheme + "://bucket/prefix (e.g. " + scheme
          + "://my-bucket/runs/run-42)");
    }
    if (uri.getRawUserInfo() != null || hasUserInfo(shown)) {
      // Never echo the user info: it may be a key and secret.
      throw malformed(rules, shown, "has user info before the bucket; credentials do not belong in the URI: use "
          + rules.credentialsRemedy());
    }
    String bucket = uri.getRawAuthority();
    if (!rules.bucket().matcher(bucket).matches()) {
      throw malformed(rules, shown, "has an invalid bucket name \"" + bucket + "\" (" + rules.bucketRule() + ")");
    }
    if (uri.getRawFragment() != null) {
      throw malformed(rules, shown, "has a fragment (#...), which " + scheme + ": URIs do not take");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String trimmed = path.replaceAll("^/+", "").replaceAll("/+$", "");
    if (!trimmed.isEmpty()) {
      for (String segment : trimmed.split("/", -1)) {
        if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
          throw malformed(rules, shown, "has an invalid prefix \"" + trimmed + "\": use /-separated segments of "
              + "[A-Za-z0-9._-], without empty, . or .. segments");
        }
      }
    }
    Map<String, String> query = query(rules, uri, shown);
    checkNames(rules, shown, query, options);
    URI normalized = URI.create(scheme + "://" + bucket + (trimmed.isEmpty() ? "" : "/" + trimmed));
    return new BackendSettings(rules, normalized, bucket, trimmed.isEmpty() ? "" : trimmed + "/", options, query,
        system, env);
  }

  private static void checkNames(Rules rules, URI shown, Map<String, String> query, StoreOptions options)
      throws UnsupportedSchemeException {
    String scheme = rules.scheme();
    for (String name : query.keySet()) {
      if (rules.secrets().contains(name)) {
        throw malformed(rules, shown, "has the query parameter " + name + "; credentials do not belong in the URI "
            + "(it ends up in logs): use the option " + scheme + "." + name + ", the system property ckpt4j."
            + scheme + "." + name + " or " + rules.credentialsRemedy());
      }
      if (!rules.names().contains(name)) {
        List<String> known = rules.names().stream().filter(n -> !rules.secrets().contains(n)).toList();
        throw malformed(rules, shown, "has the unknown query parameter \"" + name + "\"; known: "
            + String.join(", ", known));
      }
    }
    for (String key : options.properties().keySet()) {
      if (key.startsWith(scheme + ".") && !rules.names().contains(key.substring(scheme.length() + 1))) {
        throw new IllegalArgumentException(Redaction.redact("unknown option \"" + key + "\" for " + shown
            + "; known: " + scheme + ".{" + String.join(",", rules.names()) + "}"));
      }
    }
  }

  /** The backup dir without query, {@code scheme://bucket} or {@code scheme://bucket/prefix}. */
  public URI uri() {
    return uri;
  }

  /** The bucket. */
  public String bucket() {
    return bucket;
  }

  /** The key prefix of the backup dir: empty or ending with {@code /}. */
  public String prefix() {
    return prefix;
  }

  /**
   * A setting's value from the options, the URI query or the system properties (first non-blank wins).
   *
   * @param name a name of the backend's rules, without the scheme ({@code part-size})
   * @return the value, or empty if unset
   */
  public Optional<String> get(String name) {
    String scheme = rules.scheme();
    Optional<String> v = found(name, options.property(scheme + "." + name), "option " + scheme + "." + name);
    if (v.isEmpty()) {
      v = found(name, Optional.ofNullable(query.get(name)), "query parameter " + name);
    }
    if (v.isEmpty()) {
      String property = "ckpt4j." + scheme + "." + name;
      v = found(name, Optional.ofNullable(system.getProperty(property)), "system property " + property);
    }
    return v;
  }

  /**
   * A setting's value from an environment variable, recorded as the origin of {@code name}.
   *
   * @param name the setting the variable stands for
   * @param variable the environment variable ({@code STORAGE_EMULATOR_HOST})
   * @return the value, or empty if unset or blank
   */
  public Optional<String> env(String name, String variable) {
    return found(name, Optional.ofNullable(env.get(variable)), "environment variable " + variable);
  }

  /**
   * Records where a value found elsewhere (a configuration file of the SDK, say) came from.
   *
   * @param name the setting the value stands for
   * @param value the value, or empty
   * @param origin where it was set, for messages ({@code profile default in ~/.aws/config})
   * @return the value if present and not blank
   */
  public Optional<String> found(String name, Optional<String> value, String origin) {
    Optional<String> v = value.filter(s -> !s.isBlank());
    v.ifPresent(x -> origins.put(name, origin));
    return v;
  }

  /** Where the last value found for {@code name} was set ({@code option s3.region}), else {@code setting name}. */
  public String origin(String name) {
    return origins.getOrDefault(name, "setting " + name);
  }

  /**
   * The error for a bad value: {@code <uri>: <origin of name> <why>}, redacted.
   *
   * @param name the setting
   * @param why what is wrong and what is accepted ({@code must be true or false, got "x"})
   */
  public IllegalArgumentException invalid(String name, String why) {
    return new IllegalArgumentException(Redaction.redact(uri + ": " + origin(name) + " " + why));
  }

  /** {@code true}, {@code yes}, {@code 1} or {@code false}, {@code no}, {@code 0}, in any case. */
  public boolean bool(String name, String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "1":
        return true;
      case "false":
      case "no":
      case "0":
        return false;
      default:
        throw invalid(name, "must be true or false, got \"" + value + "\"");
    }
  }

  /** A decimal integer from {@code min} to {@code max}. */
  public int intRange(String name, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(name, "must be an integer from " + min + " to " + max + ", got \"" + value + "\"");
  }

  /**
   * A size in bytes with an optional binary unit, in any case: {@code 8388608}, {@code 512k}, {@code 8MiB},
   * {@code 8mb}, {@code 1g}.
   *
   * @param valid the backend's rule for the size in bytes
   * @param accepted the rule in words, completing "must be ..." ({@code a size from 5MiB to 1GiB})
   */
  public long size(String name, String value, LongPredicate valid, String accepted) {
    OptionalLong bytes = parseSize(value);
    if (bytes.isPresent() && valid.test(bytes.getAsLong())) {
      return bytes.getAsLong();
    }
    throw invalid(name, "must be " + accepted + ", got \"" + value + "\"");
  }

  /** A positive duration: {@code 500ms}, {@code 10s}, {@code 2m}, or ISO-8601 ({@code PT10S}). */
  public Duration duration(String name, String value) {
    Optional<Duration> d = parseDuration(value);
    if (d.isPresent()) {
      return d.get();
    }
    throw invalid(name, "must be a positive duration such as 500ms, 10s, 2m or PT10S, got \"" + value + "\"");
  }

  /** The bytes a size stands for; empty if it is not one or overflows a {@code long}. */
  static OptionalLong parseSize(String value) {
    Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2);
    int shift = unit.startsWith("k") ? 10 : unit.startsWith("m") ? 20 : unit.startsWith("g") ? 30 : 0;
    return n > (Long.MAX_VALUE >> shift) ? OptionalLong.empty() : OptionalLong.of(n << shift);
  }

  /** The positive duration a text stands for, or empty. */
  static Optional<Duration> parseDuration(String value) {
    String s = value.trim().toLowerCase(Locale.ROOT);
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
      return d == null || d.isNegative() || d.isZero() ? Optional.empty() : Optional.of(d);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A setting's value for a message, with any user info masked, also in a {@code user:pw@host} without scheme. */
  public static String shownValue(String value) {
    return value.contains("://") ? Redaction.redact(value) : Redaction.redact("x://" + value).substring(4);
  }

  /** The URI without its query, for messages about the URI itself. */
  public static URI withoutQuery(URI uri) {
    String s = uri.toString();
    int q = s.indexOf('?');
    return URI.create(q < 0 ? s : s.substring(0, q));
  }

  private static Map<String, String> query(Rules rules, URI uri, URI shown) throws UnsupportedSchemeException {
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
        throw malformed(rules, shown, "has the query parameter \"" + name + "\" twice");
      }
    }
    return query;
  }

  /**
   * Whether the URI has user info, also when a secret in it holds a {@code /} (then Java parses the part before
   * the {@code /} as the authority and the rest as the path): exactly when redaction would mask some.
   */
  private static boolean hasUserInfo(URI withoutQuery) {
    return Redaction.redact(withoutQuery).startsWith(withoutQuery.getScheme() + "://***@");
  }

  private static UnsupportedSchemeException malformed(Rules rules, URI uri, String why) {
    return new UnsupportedSchemeException(uri, "backup dir URI " + why, Set.of(rules.scheme()));
  }
}
