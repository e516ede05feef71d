package org.ckpt4j.storage.s3;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;

/**
 * The AWS SDK's own settings that decide how the S3 client behaves, read the way the SDK reads them (a Java
 * system property, then an environment variable, then the profile in the shared config file), but from an
 * environment that tests can inject. ckpt4j reads them only to make the same decision the SDK would make and to
 * say which one it made: the endpoint (so that path-style and error messages follow it wherever it was set), the
 * retry mode and the attempts (so that ckpt4j's defaults do not override what the user set).
 */
final class AwsConfig {
  /** A value and where it was found, for messages. */
  record Value(String value, String origin) {}

  private final Properties system;
  private final Map<String, String> env;
  private final String where;
  private final Optional<Profile> profile;
  private final Optional<Profile> services;

  private AwsConfig(Properties system, Map<String, String> env, String where, Optional<Profile> profile,
      Optional<Profile> services) {
    this.system = system;
    this.env = env;
    this.where = where;
    this.profile = profile;
    this.services = services;
  }

  /** The profile ({@code aws.profile}, {@code AWS_PROFILE}, else {@code default}) of the shared config file. */
  static AwsConfig load(Properties system, Map<String, String> env) {
    String name = nonBlank(system.getProperty("aws.profile")).or(() -> nonBlank(env.get("AWS_PROFILE")))
        .orElse("default");
    Path file = nonBlank(system.getProperty("aws.configFile")).or(() -> nonBlank(env.get("AWS_CONFIG_FILE")))
        .map(f -> f.startsWith("~") ? system.getProperty("user.home", "") + f.substring(1) : f)
        .map(Path::of)
        .or(() -> nonBlank(system.getProperty("user.home")).map(home -> Path.of(home, ".aws", "config")))
        .orElse(null);
    Optional<Profile> profile = Optional.empty();
    Optional<Profile> services = Optional.empty();
    if (file != null && Files.isRegularFile(file)) {
      try {
        ProfileFile config = ProfileFile.builder().content(file).type(ProfileFile.Type.CONFIGURATION).build();
        profile = config.profile(name);
        services = profile.flatMap(p -> p.property("services")).flatMap(s -> config.getSection("services", s));
      } catch (RuntimeException e) {
        // a broken config file: the SDK reports it when the client loads it
      }
    }
    return new AwsConfig(system, env, "profile '" + name + "' in " + file, profile, services);
  }

  /** A setting as the SDK reads it: the system property, the environment variable, then the profile property. */
  Optional<Value> get(String systemProperty, String environmentVariable, String profileProperty) {
    return nonBlank(system.getProperty(systemProperty)).map(v -> new Value(v, "system property " + systemProperty))
        .or(() -> nonBlank(env.get(environmentVariable))
            .map(v -> new Value(v, "environment variable " + environmentVariable)))
        .or(() -> profileProperty == null ? Optional.empty()
            : profile.flatMap(p -> p.property(profileProperty)).flatMap(AwsConfig::nonBlank)
                .map(v -> new Value(v, profileProperty + " of " + where)));
  }

  /**
   * The endpoint the SDK would use for S3 without an override, in its order: {@code aws.endpointUrlS3} /
   * {@code AWS_ENDPOINT_URL_S3}, {@code aws.endpointUrl} / {@code AWS_ENDPOINT_URL}, {@code s3.endpoint_url} in the
   * profile's {@code services} section, the profile's {@code endpoint_url}; none when
   * {@code AWS_IGNORE_CONFIGURED_ENDPOINT_URLS} (or its property) is true.
   */
  Optional<Value> endpoint() {
    boolean ignore = get("aws.ignoreConfiguredEndpointUrls", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "ignore_configured_endpoint_urls").map(v -> v.value().trim().equalsIgnoreCase("true")).orElse(false);
    if (ignore) {
      return Optional.empty();
    }
    return get("aws.endpointUrlS3", "AWS_ENDPOINT_URL_S3", null)
        .or(() -> get("aws.endpointUrl", "AWS_ENDPOINT_URL", null))
        .or(() -> services.flatMap(s -> s.property("s3.endpoint_url")).flatMap(AwsConfig::nonBlank)
            .map(v -> new Value(v, "s3.endpoint_url of services section '" + services.get().name() + "' of "
                + where)))
        .or(() -> get("aws.endpointUrl", "AWS_ENDPOINT_URL", "endpoint_url"));
  }

  private static Optional<String> nonBlank(String s) {
    return Optional.ofNullable(s).filter(v -> !v.isBlank());
  }
}
