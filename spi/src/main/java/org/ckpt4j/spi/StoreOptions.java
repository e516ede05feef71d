package org.ckpt4j.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How to open a {@link CheckpointStore}: immutable; build with {@link #forOwner(String)} or {@link #readOnly()}.
 *
 * <p>Backend settings (endpoint, region, credentials for tests) go in {@link Builder#property(String, String)}
 * under keys prefixed by the scheme ({@code s3.endpoint}, {@code gs.host}); each backend documents its keys.
 * URI query parameters of the same names (without the prefix) are an alternative.
 */
public final class StoreOptions {
  /** Default {@link #leaseTimeout()}: how long a crashed holder's claim blocks a restart at most. */
  public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(10);

  private final String owner;
  private final boolean readOnly;
  private final boolean keepPrevious;
  private final Duration leaseTimeout;
  private final Map<String, String> properties;

  private StoreOptions(Builder b) {
    this.owner = b.owner;
    this.readOnly = b.readOnly;
    this.keepPrevious = b.keepPrevious;
    this.leaseTimeout = b.leaseTimeout;
    this.properties = Map.copyOf(b.properties);
  }

  /** A read-write store for the given owner identity (R6): an opaque, non-blank string of at most 4096 chars. */
  public static Builder forOwner(String owner) {
    Objects.requireNonNull(owner, "owner");
    if (owner.isBlank() || owner.length() > 4096) {
      throw new IllegalArgumentException("owner must be non-blank and at most 4096 characters, got "
          + (owner.isBlank() ? "a blank string" : owner.length() + " characters"));
    }
    Builder b = new Builder();
    b.owner = owner;
    return b;
  }

  /** A read-only store (R8): never writes, never claims the backup dir. */
  public static Builder readOnly() {
    Builder b = new Builder();
    b.readOnly = true;
    return b;
  }

  /** The owner identity; empty only for read-only stores that do not check it. */
  public Optional<String> owner() {
    return Optional.ofNullable(owner);
  }

  /**
   * Whether the store only reads.
   *
   * @return {@code true} for a read-only store
   */
  public boolean isReadOnly() {
    return readOnly;
  }

  /** Whether one previous checkpoint is kept as a fallback (R2, R4). */
  public boolean keepPrevious() {
    return keepPrevious;
  }

  /** How long a holder may be silent before its claim may be taken over (R6.3). */
  public Duration leaseTimeout() {
    return leaseTimeout;
  }

  /** Backend settings, keyed {@code scheme.name}. */
  public Map<String, String> properties() {
    return properties;
  }

  /** A backend setting. */
  /**
   * A backend setting given as an option.
   *
   * @param key the setting's key, such as {@code s3.endpoint}
   * @return its value, if set
   */
  public Optional<String> property(String key) {
    return Optional.ofNullable(properties.get(key));
  }

  /**
   * A builder that starts from these options.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.owner = owner;
    b.readOnly = readOnly;
    b.keepPrevious = keepPrevious;
    b.leaseTimeout = leaseTimeout;
    b.properties.putAll(properties);
    return b;
  }

  @Override
  public String toString() {
    return "StoreOptions{owner=" + owner + ", readOnly=" + readOnly + ", keepPrevious=" + keepPrevious
        + ", leaseTimeout=" + leaseTimeout + ", properties=" + properties.keySet() + "}";
  }

  /** Builder of {@link StoreOptions}. */
  public static final class Builder {
    private String owner;
    private boolean readOnly;
    private boolean keepPrevious;
    private Duration leaseTimeout = DEFAULT_LEASE_TIMEOUT;
    private final Map<String, String> properties = new TreeMap<>();

    private Builder() {}

    /** For a read-only store: also refuse a backup dir of another owner (R6.2). */
    public Builder expectOwner(String owner) {
      this.owner = Objects.requireNonNull(owner, "owner");
      return this;
    }

    /**
     * Also keep the previous checkpoint readable after a commit (R4.3).
     *
     * @param keep whether to keep it
     * @return this builder
     */
    public Builder keepPrevious(boolean keep) {
      this.keepPrevious = keep;
      return this;
    }

    /** Between 100 ms and 1 hour. */
    public Builder leaseTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "leaseTimeout");
      if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("leaseTimeout (" + timeout + ") must be between 100 ms and 1 hour");
      }
      this.leaseTimeout = timeout;
      return this;
    }

    /**
     * A backend setting, such as {@code s3.endpoint}; backends refuse keys of their prefix they do not know.
     *
     * @param key the setting's key
     * @param value its value
     * @return this builder
     */
    public Builder property(String key, String value) {
      properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The options.
     *
     * @return immutable options
     */
    public StoreOptions build() {
      return new StoreOptions(this);
    }
  }
}
