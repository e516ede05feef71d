package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * What the TCK needs to know about the backend under test: immutable, built with {@link #builder(BackupDirs)}
 * and returned from {@link CheckpointStoreTck#fixture()}.
 *
 * <p>Only {@link BackupDirs} is required. Everything else deepens the certification; a rule that needs a
 * missing piece is skipped with the reason (never passed):
 * <ul>
 *   <li>{@link Builder#property(String, String)}: backend settings copied into every {@link StoreOptions} the
 *       kit opens stores with (endpoint, region, test credentials).</li>
 *   <li>{@link Builder#capabilities(Capability...)}: the optional guarantees the backend declares. The rules of
 *       a declared capability run and must pass; undeclared ones are skipped. When not set, the capabilities
 *       that an opened store reports ({@link org.ckpt4j.spi.CheckpointStore#capabilities()}) are used; when
 *       set, they must equal what the store reports.</li>
 *   <li>{@link Builder#objects(ObjectStoreFactory)}: the {@link ObjectStore} your provider builds its stores on
 *       (not needed when the provider implements {@link CheckpointStoreProvider#objectStore}, which the kit
 *       uses by default)
 *       (with {@link CheckpointStores#overObjects}). The kit uses it for raw access (plants foreign objects,
 *       flips bits, truncates) and for fault injection: it wraps it in a forwarding decorator that fails the
 *       N-th call, throws from inside streams at random offsets, loses responses after success, or pauses the
 *       lease heartbeat, and builds the store under test with {@code overObjects(faulty, options)}.
 *       A backend that implements {@link org.ckpt4j.spi.CheckpointStore} directly supplies
 *       {@link Builder#rawAccess(ObjectStoreFactory)} instead (raw access only, no ObjectStore faults).</li>
 *   <li>{@link Builder#transportFaults(TransportFaults)}: a hook into your test server or HTTP client that fails
 *       requests on the wire, for the deepest interruption trials.</li>
 *   <li>{@link Builder#pathObjects(PathObjects)}: for a backend whose objects are files under a
 *       {@link java.nio.file.Path}: its ObjectStore over any directory of any NIO file system, for R7.2 on a
 *       simulated disk that loses power and R3.2's walk for temporary files a killed writer left.</li>
 *   <li>{@link Builder#childJvmArgs(String...)}: extra arguments for the child JVMs of the crash (SIGKILL) and
 *       cross-process rules, e.g. {@code -Dsome.endpoint=http://127.0.0.1:PORT}. Children run
 *       {@code java -cp <this JVM's class path>} and open stores through {@link CheckpointStores#open} with the
 *       fixture's properties; a test server stays in the parent JVM.</li>
 *   <li>Knob defaults for this backend ({@link Builder#crashTrials(int)}, ...), each overridden by its system
 *       property in certification runs (see {@code tck/README.md}).</li>
 * </ul>
 */
public final class TckFixture {
  private final BackupDirs backupDirs;
  private final Map<String, String> properties;
  private final Set<Capability> capabilities;
  private final ObjectStoreFactory objects;
  private final StoreBuilder storeBuilder;
  private final boolean objectFaults;
  private final TransportFaults transportFaults;
  private final List<String> childJvmArgs;
  private final Map<String, String> knobs;
  private final Duration leaseTimeout;
  private final PathObjects pathObjects;
  private final java.util.function.Supplier<PowerLossDisk> disks;

  private TckFixture(Builder b) {
    this.backupDirs = b.backupDirs;
    this.properties = Map.copyOf(b.properties);
    this.capabilities = b.capabilities == null ? null : Set.copyOf(b.capabilities);
    this.objects = b.objects;
    this.storeBuilder = b.storeBuilder;
    this.objectFaults = b.objectFaults;
    this.transportFaults = b.transportFaults;
    this.childJvmArgs = List.copyOf(b.childJvmArgs);
    this.knobs = Map.copyOf(b.knobs);
    this.leaseTimeout = b.leaseTimeout;
    this.pathObjects = b.pathObjects;
    this.disks = b.disks;
  }

  /** Starts a fixture whose fresh backup dirs come from {@code backupDirs}. */
  public static Builder builder(BackupDirs backupDirs) {
    return new Builder(Objects.requireNonNull(backupDirs, "backupDirs"));
  }

  /** A fresh, empty backup dir, different on every call. */
  public URI newBackupDir() throws IOException {
    URI uri = backupDirs.newBackupDir();
    return Objects.requireNonNull(uri, "BackupDirs.newBackupDir() returned null");
  }

  /** Backend settings for {@link StoreOptions.Builder#property(String, String)}. */
  public Map<String, String> properties() {
    return properties;
  }

  /** The declared capabilities, or empty when the fixture leaves them to the store's report. */
  public Optional<Set<Capability>> declaredCapabilities() {
    return Optional.ofNullable(capabilities);
  }

  /** Raw access to the backend's objects under a backup dir, if the fixture gives it. */
  public Optional<ObjectStoreFactory> objects() {
    return Optional.ofNullable(objects);
  }

  /** Whether stores built with {@code overObjects(objects(...))} are the backend's own (fault injection). */
  public boolean supportsObjectFaults() {
    return objects != null && objectFaults;
  }

  /** How a store is built over a (fault-injecting) ObjectStore; {@code overObjects} unless the fixture says. */
  public StoreBuilder storeBuilder() {
    return storeBuilder;
  }

  /** The transport fault hook, if any. */
  public Optional<TransportFaults> transportFaults() {
    return Optional.ofNullable(transportFaults);
  }

  /** Extra arguments for child JVMs (before the main class). */
  public List<String> childJvmArgs() {
    return childJvmArgs;
  }

  /** The lease timeout the kit opens stores with (short, so that takeover waits are short). */
  public Duration leaseTimeout() {
    return leaseTimeout;
  }

  /** The backend's objects over a directory of any NIO file system, if it is such a backend (R7.2, R3.2). */
  public Optional<PathObjects> pathObjects() {
    return Optional.ofNullable(pathObjects);
  }

  /** A new simulated disk for the power-loss rules (the self-test's may drop barriers). */
  PowerLossDisk newDisk() {
    return disks.get();
  }

  /** Knob defaults this fixture sets, keyed by the system property name without {@code ckpt4j.tck.}. */
  Map<String, String> knobs() {
    return knobs;
  }

  @Override
  public String toString() {
    return "TckFixture{properties=" + properties.keySet() + ", capabilities=" + capabilities + ", objects="
        + (objects != null) + ", objectFaults=" + supportsObjectFaults() + ", transportFaults="
        + (transportFaults != null) + ", pathObjects=" + (pathObjects != null) + ", childJvmArgs=" + childJvmArgs + ", knobs=" + knobs + "}";
  }

  /** Supplies fresh, empty backup dirs. */
  @FunctionalInterface
  public interface BackupDirs {
    /**
     * A backup dir URI that nothing has written to, different on every call, e.g.
     * {@code s3://tck-bucket/run-<uuid>} or a new temp directory's {@code file:} URI. It must be openable with
     * {@link CheckpointStores#open} (your {@link CheckpointStoreProvider} on the class path), also in a child
     * JVM for {@link Capability#CROSS_PROCESS} backends.
     */
    URI newBackupDir() throws IOException;
  }

  /** Opens the backend's {@link ObjectStore} for a backup dir. */
  @FunctionalInterface
  public interface ObjectStoreFactory {
    /**
     * The objects under {@code backupDir}, as your provider would open them with {@code options} (which carry
     * the fixture's properties). The kit closes what it gets.
     */
    ObjectStore open(URI backupDir, StoreOptions options) throws IOException;
  }

  /**
   * Opens the backend's {@link ObjectStore} over a directory of any {@link java.nio.file.FileSystem}, for a backend
   * whose objects are files (like the local one). The kit passes a directory of a simulated disk that loses power
   * ({@code required_R7_2_...}) or whose writer process crashes at a chosen file system operation (R3.2's
   * leftovers, observed by walking the files); the backend must do all its file I/O through {@code root}'s file
   * system (its provider), including the fsync of directories ({@code FileChannel.open(dir, READ).force(true)}).
   */
  @FunctionalInterface
  public interface PathObjects {
    /** The objects of the backup dir {@code root} (which may not exist yet); the kit closes what it gets. */
    ObjectStore open(java.nio.file.Path root, StoreOptions options) throws IOException;
  }

  /** Builds the store under test over an ObjectStore (which the kit may have wrapped to inject faults). */
  @FunctionalInterface
  public interface StoreBuilder {
    /** The store your provider would return for these objects; it closes {@code objects} when closed. */
    CheckpointStore build(ObjectStore objects, StoreOptions options) throws IOException;
  }

  /** Builder of {@link TckFixture}. */
  public static final class Builder {
    private final BackupDirs backupDirs;
    private final Map<String, String> properties = new TreeMap<>();
    private Set<Capability> capabilities;
    private ObjectStoreFactory objects;
    private StoreBuilder storeBuilder = CheckpointStores::overObjects;
    private boolean objectFaults;
    private TransportFaults transportFaults;
    private final List<String> childJvmArgs = new ArrayList<>();
    private final Map<String, String> knobs = new TreeMap<>();
    private Duration leaseTimeout = Duration.ofMillis(400);
    private PathObjects pathObjects;
    private java.util.function.Supplier<PowerLossDisk> disks = PowerLossDisk::new;

    private Builder(BackupDirs backupDirs) {
      this.backupDirs = backupDirs;
    }

    /** A backend setting passed to every store the kit opens ({@code s3.endpoint}, ...). */
    public Builder property(String key, String value) {
      properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Declares the backend's optional capabilities (none is a valid declaration). */
    public Builder capabilities(Capability... declared) {
      this.capabilities = declared.length == 0 ? EnumSet.noneOf(Capability.class) : EnumSet.of(declared[0],
          declared);
      return this;
    }

    /**
     * The {@link ObjectStore} your provider builds stores on: raw access plus ObjectStore-level fault
     * injection ({@code CheckpointStores.overObjects(faultyDecorator, options)}).
     */
    public Builder objects(ObjectStoreFactory factory) {
      this.objects = Objects.requireNonNull(factory, "factory");
      this.objectFaults = true;
      return this;
    }

    /**
     * For a backend that implements {@link CheckpointStore} over its own object layer rather than with
     * {@code overObjects}: the kit builds the store under test with {@code storeBuilder} over a fault-injecting
     * decorator of the objects from {@code factory}.
     */
    public Builder objects(ObjectStoreFactory factory, StoreBuilder storeBuilder) {
      objects(factory);
      this.storeBuilder = Objects.requireNonNull(storeBuilder, "storeBuilder");
      return this;
    }

    /** Raw access only, for a backend whose stores cannot be built over a decorated {@link ObjectStore}. */
    public Builder rawAccess(ObjectStoreFactory factory) {
      this.objects = Objects.requireNonNull(factory, "factory");
      this.objectFaults = false;
      return this;
    }

    /**
     * For a backend whose objects are files under a {@link java.nio.file.Path}: its {@link ObjectStore} over any
     * directory of any NIO file system. Unlocks R7.2 (simulated power cuts, with
     * {@link Capability#POWER_LOSS_DURABLE} declared) and R3.2's check for files a killed writer left that the
     * backend's {@code list()} does not show. The local backend:
     * {@code pathObjects((root, o) -> new LocalStoreProvider().objectStore(root.toUri(), o).orElseThrow())}.
     */
    public Builder pathObjects(PathObjects factory) {
      this.pathObjects = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** For the kit's self-test only: the simulated disks of the power-loss rules. */
    Builder powerLossDisks(java.util.function.Supplier<PowerLossDisk> disks) {
      this.disks = Objects.requireNonNull(disks, "disks");
      return this;
    }

    /** Default number of simulated power cuts of R7.2 ({@code ckpt4j.tck.powerCuts}). */
    public Builder powerCuts(int n) {
      return knob("powerCuts", n);
    }

    /** A hook that fails requests in the transport (test server or client interceptor). */
    public Builder transportFaults(TransportFaults hook) {
      this.transportFaults = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /** Extra JVM arguments for child JVMs, e.g. system properties naming a test server's port. */
    public Builder childJvmArgs(String... args) {
      childJvmArgs.addAll(List.of(args));
      return this;
    }

    /**
     * The lease timeout of the stores the kit opens (default 400 ms; at least 100 ms). Raise it for a slow
     * server whose heartbeat round trip could take longer than a quarter of it.
     */
    public Builder leaseTimeout(Duration timeout) {
      StoreOptions.forOwner("x").leaseTimeout(timeout); // validates
      this.leaseTimeout = timeout;
      return this;
    }

    /** Default number of SIGKILL crash trials for this backend (system property {@code ckpt4j.tck.crashTrials}). */
    public Builder crashTrials(int n) {
      return knob("crashTrials", n);
    }

    /** Default number of randomized interruption trials ({@code ckpt4j.tck.interruptionTrials}). */
    public Builder interruptionTrials(int n) {
      return knob("interruptionTrials", n);
    }

    /** Default number of model-based random sequences ({@code ckpt4j.tck.sequences}). */
    public Builder sequences(int n) {
      return knob("sequences", n);
    }

    /** Default largest blob the kit writes, in bytes ({@code ckpt4j.tck.maxBlobBytes}). */
    public Builder maxBlobBytes(int n) {
      return knob("maxBlobBytes", n);
    }

    /**
     * For the kit's self-test only: how long a second store or run that must be refused waits for the live
     * holder (default 30 s, {@link Kit#LIVENESS_TIMEOUT}).
     */
    Builder livenessTimeout(Duration timeout) {
      return knob("livenessTimeoutMs", Math.toIntExact(timeout.toMillis()));
    }

    private Builder knob(String name, int n) {
      if (n < 0) {
        throw new IllegalArgumentException(name + " (" + n + ") must not be negative");
      }
      knobs.put(name, Integer.toString(n));
      return this;
    }

    public TckFixture build() {
      return new TckFixture(this);
    }
  }
}
