package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;
import org.junit.jupiter.api.Assumptions;

/** What the rules share for one test class: the fixture, the knobs, the random source, helpers, counters. */
final class Kit {
  static final String OWNER = "tck-owner-" + Long.toHexString(new SplittableRandom().nextLong());
  /**
   * The lease timeout of a second store or run that must be refused because the first is live (R6.3): it judges
   * the holder's liveness by its own lease timeout, and with the fixture's short one (400 ms by default) a holder
   * whose heartbeat a busy machine held up that long may be taken over, as the protocol allows. A live holder's
   * next heartbeat, or its release, refuses the second one at once.
   */
  static final java.time.Duration LIVENESS_TIMEOUT = java.time.Duration.ofSeconds(30);

  /** {@link #LIVENESS_TIMEOUT}, unless the kit's self-test shortened it. */
  java.time.Duration livenessTimeout() {
    String ms = fixture.knobs().get("livenessTimeoutMs");
    return ms == null ? LIVENESS_TIMEOUT : java.time.Duration.ofMillis(Long.parseLong(ms));
  }

  final TckFixture fixture;
  final TckSettings settings;
  private Set<Capability> capabilities;
  final AtomicLong crashTrials = new AtomicLong();
  final AtomicLong interruptionTrials = new AtomicLong();
  final AtomicLong sequences = new AtomicLong();
  final AtomicLong faultTrials = new AtomicLong();
  /** Simulated power cuts of R7.2, and simulated writer crashes at a file system operation (R3.2). */
  final AtomicLong powerCuts = new AtomicLong();
  final AtomicLong processCrashes = new AtomicLong();
  /** Faults armed in randomized trials that never fired (the operation ended first); not in faultTrials. */
  final AtomicLong unfiredFaults = new AtomicLong();
  private SplittableRandom random;
  private long testSeed;
  private String testName = "?";

  Kit(TckFixture fixture) {
    this.fixture = fixture;
    this.settings = new TckSettings(fixture.knobs());
  }

  /** Seeds this test's random source from the run's seed and the test name: reproducible per test. */
  void beginTest(String name) {
    testName = name;
    testSeed = settings.seed ^ (long) name.hashCode() * 0x9E3779B97F4A7C15L;
    random = new SplittableRandom(testSeed);
  }

  SplittableRandom random() {
    return random;
  }

  long testSeed() {
    return testSeed;
  }

  /** How to reproduce the current test, for failure messages. */
  String reproduce() {
    return "reproduce with -D" + TckSettings.PREFIX + "seed=" + settings.seed + " (test " + testName + ")";
  }

  URI newDir() throws IOException {
    return fixture.newBackupDir();
  }

  StoreOptions.Builder rw(String owner) {
    StoreOptions.Builder b = StoreOptions.forOwner(owner).leaseTimeout(fixture.leaseTimeout());
    fixture.properties().forEach(b::property);
    return b;
  }

  StoreOptions.Builder ro() {
    StoreOptions.Builder b = StoreOptions.readOnly().leaseTimeout(fixture.leaseTimeout());
    fixture.properties().forEach(b::property);
    return b;
  }

  CheckpointStore open(URI dir) throws IOException {
    return CheckpointStores.open(dir, rw(OWNER).build());
  }

  CheckpointStore open(URI dir, StoreOptions options) throws IOException {
    return CheckpointStores.open(dir, options);
  }

  CheckpointStore openReadOnly(URI dir) throws IOException {
    return CheckpointStores.open(dir, ro().build());
  }

  /** The capabilities under certification: declared by the fixture, else reported by a store. */
  synchronized Set<Capability> capabilities() throws IOException {
    if (capabilities == null) {
      Optional<Set<Capability>> declared = fixture.declaredCapabilities();
      if (declared.isPresent()) {
        capabilities = declared.get();
      } else {
        try (CheckpointStore s = openReadOnly(newDir())) {
          capabilities = Set.copyOf(s.capabilities());
        }
      }
    }
    return capabilities;
  }

  void assumeCapability(Capability c) throws IOException {
    Assumptions.assumeTrue(capabilities().contains(c), () -> "not applicable: the backend does not declare "
        + c + " (capabilities: " + capabilitiesQuietly() + ")");
  }

  private String capabilitiesQuietly() {
    try {
      return capabilities().toString();
    } catch (IOException e) {
      return "unknown: " + e;
    }
  }

  private Boolean providerObjects;

  /** The fixture's objects, else the provider's ({@code CheckpointStoreProvider.objectStore}), else null. */
  private synchronized TckFixture.ObjectStoreFactory objectsFactory() throws IOException {
    if (fixture.objects().isPresent()) {
      return fixture.objects().get();
    }
    if (providerObjects == null) {
      Optional<ObjectStore> probe = providerObjects(newDir(), rw(OWNER).build());
      providerObjects = probe.isPresent();
      if (probe.isPresent()) {
        probe.get().close();
      }
    }
    return providerObjects ? (dir, options) -> providerObjects(dir, options).orElseThrow() : null;
  }

  static Optional<ObjectStore> providerObjects(URI dir, StoreOptions options) throws IOException {
    String scheme = dir.getScheme() == null ? "file" : dir.getScheme().toLowerCase(java.util.Locale.ROOT);
    for (CheckpointStoreProvider p : java.util.ServiceLoader.load(CheckpointStoreProvider.class)) {
      if (p.schemes().contains(scheme)) {
        return p.objectStore(dir, options);
      }
    }
    return Optional.empty();
  }

  boolean hasRawAccess() throws IOException {
    return objectsFactory() != null;
  }

  boolean hasObjectFaults() throws IOException {
    return fixture.objects().isPresent() ? fixture.supportsObjectFaults() : objectsFactory() != null;
  }

  void assumeRawAccess() throws IOException {
    Assumptions.assumeTrue(hasRawAccess(), "not applicable: no raw access to the storage (the provider's "
        + "objectStore() is empty and the fixture sets neither objects nor rawAccess)");
  }

  void assumeObjectFaults() throws IOException {
    Assumptions.assumeTrue(hasObjectFaults(), "not applicable: no ObjectStore to inject faults into (the "
        + "provider's objectStore() is empty and the fixture sets no objects)");
  }

  /** Raw access to the objects under {@code dir}; the caller closes it. */
  ObjectStore raw(URI dir) throws IOException {
    assumeRawAccess();
    return objectsFactory().open(dir, rw(OWNER).build());
  }

  /** A fault-injecting decorator over the backend's objects under {@code dir}. */
  FaultyObjectStore faulty(URI dir, StoreOptions options) throws IOException {
    assumeObjectFaults();
    return new FaultyObjectStore(objectsFactory().open(dir, options));
  }

  /** The store under test built over (faulty) objects, as the backend's provider would build it. */
  CheckpointStore openOver(ObjectStore objects, StoreOptions options) throws IOException {
    return fixture.storeBuilder().build(objects, options);
  }

  /** Every object under {@code dir}, byte for byte. */
  Map<String, byte[]> snapshot(URI dir) throws IOException {
    try (ObjectStore raw = raw(dir)) {
      Map<String, byte[]> all = new TreeMap<>();
      for (String key : raw.list("")) {
        raw.get(key).ifPresent(b -> all.put(key, b));
      }
      return all;
    }
  }

  static long bytes(Map<String, byte[]> snapshot) {
    return snapshot.values().stream().mapToLong(b -> b.length).sum();
  }

  /**
   * Asserts that every object of {@code expected} is still in {@code dir}, byte for byte, observed by a raw
   * {@code get} of each key (never through {@code list()}, so that a listing that misses names is not reported
   * as a deletion); an object that is there but not listed is reported as such.
   */
  void assertUnchanged(URI dir, Map<String, byte[]> expected, String when) throws IOException {
    java.util.List<String> problems = new ArrayList<>();
    try (ObjectStore raw = raw(dir)) {
      java.util.Set<String> listed = new java.util.HashSet<>(raw.list(""));
      for (Map.Entry<String, byte[]> e : expected.entrySet()) {
        Optional<byte[]> b = raw.get(e.getKey());
        if (b.isEmpty()) {
          problems.add(e.getKey() + " was deleted (a raw get finds nothing)");
        } else if (!Arrays.equals(e.getValue(), b.get())) {
          problems.add(e.getKey() + " was changed (" + e.getValue().length + " -> " + b.get().length + " bytes)");
        } else if (!listed.contains(e.getKey())) {
          problems.add(e.getKey() + " is there (a raw get finds it) but list(\"\") does not return it");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(when + ": foreign objects were not left alone: " + problems + "; " + reproduce());
    }
  }

  /**
   * A random checkpoint with at least one non-empty blob (a rule whose random input is empty may check nothing:
   * every run exercises the non-trivial case; empty checkpoints are the model-based sequences' business).
   */
  Content content(String label) {
    return Content.random(label, random, 4, settings.maxBlobBytes).nonEmpty(random);
  }

  /** As {@link #content}, blobs up to 64 KiB. */
  Content smallContent(String label) {
    return Content.random(label, random, 3, 64 * 1024).nonEmpty(random);
  }

  /**
   * Opens a read-only store on {@code dir} and checks that its latest checkpoint is whole and one of
   * {@code allowed} ({@code null} in it allows "no checkpoint"). Returns which one it was.
   */
  Content assertLatestIsOneOf(URI dir, String situation, Content... allowed) throws IOException {
    try (CheckpointStore s = openReadOnly(dir)) {
      return assertLatestIsOneOf(s, situation, allowed);
    }
  }

  Content assertLatestIsOneOf(CheckpointStore s, String situation, Content... allowed) throws IOException {
    Optional<Checkpoint> latest = s.latest();
    java.util.List<String> names = new ArrayList<>();
    for (Content c : allowed) {
      names.add(c == null ? "none" : c.describe());
    }
    if (latest.isEmpty()) {
      if (Arrays.asList(allowed).contains(null)) {
        return null;
      }
      throw new AssertionError(situation + ": latest() is empty, expected one of " + names + "; " + reproduce());
    }
    Checkpoint cp = latest.get();
    Optional<Content> claimed = Content.fromMetadata(cp.metadata());
    for (Content c : allowed) {
      if (c != null && claimed.isPresent() && c.label.equals(claimed.get().label)) {
        try {
          c.verify(cp);
        } catch (AssertionError e) {
          throw new AssertionError(situation + ": " + e.getMessage() + "; " + reproduce(), e);
        } catch (CheckpointStoreException e) {
          throw new AssertionError(situation + ": reading the latest checkpoint " + c.label + " failed with "
              + e + " although it should be whole; " + reproduce(), e);
        }
        return c;
      }
    }
    throw new AssertionError(situation + ": latest() is " + (claimed.isPresent() ? claimed.get().describe()
        : "a checkpoint the kit did not write, metadata " + cp.metadata().keySet()) + ", expected one of "
        + names + "; " + reproduce());
  }

  /** The kit's content that is latest in {@code dir}, verified whole, or null if there is none. */
  Content lastCommittedOrNull(URI dir) throws IOException {
    try (CheckpointStore s = openReadOnly(dir)) {
      Optional<Checkpoint> cp = s.latest();
      if (cp.isEmpty()) {
        return null;
      }
      Content c = Content.fromMetadata(cp.get().metadata()).orElseThrow(() -> new AssertionError(
          "latest() is a checkpoint the kit did not write: " + cp.get().metadata().keySet()));
      c.verify(cp.get());
      return c;
    }
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort: the test already failed or the resource is gone
      }
    }
  }
}
