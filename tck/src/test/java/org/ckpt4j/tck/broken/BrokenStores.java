package org.ckpt4j.tck.broken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.mem.InMemoryObjectStore;

/**
 * Deliberately broken backends ({@code broken:<flaw>/<name>}, in-memory objects): the correct protocol with one
 * {@link Flaw} injected, at the ObjectStore or the CheckpointStore level. The TCK's self-tests run the kit on
 * them and check that the rule each one breaks fails, saying what was observed.
 */
public final class BrokenStores implements CheckpointStoreProvider {
  private static final Map<String, InMemoryObjectStore> OBJECTS = new ConcurrentHashMap<>();
  private static final Map<String, WireFaults> WIRES = new ConcurrentHashMap<>();

  /**
   * Puts {@code wire} below every store of the backup dirs {@code broken:<flaw>/<tag>.<name>}, also those
   * opened through the provider.
   */
  public static WireFaults wire(String tag, WireFaults wire) {
    WIRES.put(tag, wire);
    return wire;
  }

  private static WireFaults wireOf(URI uri) {
    String ssp = uri.getSchemeSpecificPart();
    String name = ssp.substring(ssp.indexOf('/') + 1);
    int dot = name.indexOf('.');
    return dot < 0 ? null : WIRES.get(name.substring(0, dot));
  }

  /** Only for use by {@link java.util.ServiceLoader}. */
  public BrokenStores() {}

  static Flaw flaw(URI uri) {
    String ssp = uri.getSchemeSpecificPart();
    return Flaw.valueOf(ssp.substring(0, ssp.indexOf('/')).toUpperCase(Locale.ROOT));
  }

  /**
   * The raw objects behind a {@code broken:} URI (in memory, this JVM only) or a {@code brokendir:<flaw>/<abs
   * path>} URI (files, through the example dirstore backend: visible to child JVMs, for the cross-process rules).
   */
  public static ObjectStore objects(URI uri) {
    if ("brokendir".equals(uri.getScheme())) {
      String ssp = uri.getSchemeSpecificPart();
      try {
        return new com.example.dirstore.DirStoreProvider().objectStore(URI.create("dirstore://" + ssp.substring(ssp
            .indexOf('/'))), StoreOptions.readOnly().build()).orElseThrow();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    InMemoryObjectStore o = OBJECTS.computeIfAbsent(uri.getSchemeSpecificPart(), n -> new InMemoryObjectStore(
        uri));
    return new ForwardingObjectStore(o) {
      @Override
      public void close() {}
    };
  }

  /** The objects a store with {@code flaw} runs on: flawed themselves for the flaws of a backend. */
  public static ObjectStore objects(Flaw flaw, URI uri) {
    return objects(flaw, uri, null);
  }

  /** As {@link #objects(Flaw, URI)}, with a transport fault hook below the backend-level flaw. */
  public static ObjectStore objects(Flaw flaw, URI uri, WireFaults wire) {
    if (wire == null) {
      wire = wireOf(uri);
    }
    ObjectStore objects = wire == null ? objects(uri) : wire.over(objects(uri));
    switch (flaw) {
      case RANGED_READS_INEXACT:
        return new LengthBlindRanges(objects);
      case OVERWRITING_CREATE:
        return new OverwritingCreate(objects);
      case FIRST_PAGE_ONLY:
        return new FirstPageOnly(objects);
      case DELETE_MISSING_THROWS:
        return new DeleteMissingThrows(objects);
      case SWALLOWS_DELETE_ERRORS:
        return new SwallowsDeleteErrors(objects);
      case DELETES_NEIGHBOURS:
        return new DeletesNeighbours(objects);
      case FOREIGN_BLIND:
        return new ForeignBlind(objects);
      default:
        return objects;
    }
  }

  /**
   * OVERWRITING_CREATE: create-if-absent is a plain write that reports success (a conditional header the server
   * ignores): every racer "wins" and the last one's bytes stay. Like a client with a read-your-writes cache, each
   * client reads what it wrote itself back for a moment, so the protocol's read-back after a create does not
   * notice that another racer overwrote the record.
   */
  static final class OverwritingCreate extends ForwardingObjectStore {
    private final Map<String, byte[]> wrote = new ConcurrentHashMap<>();
    private final Map<String, Long> until = new ConcurrentHashMap<>();

    OverwritingCreate(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public Optional<byte[]> getAtMost(String key, int limit) throws IOException {
      return get(key).map(b -> b.length > limit ? java.util.Arrays.copyOf(b, limit) : b);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      roundTrip();
      return super.list(prefix);
    }

    private static void roundTrip() throws IOException {
      try {
        Thread.sleep(3); // a round trip to a server, as where the flaw was found (in memory, racers hardly overlap)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
      Long t = until.get(key);
      if (t != null && System.nanoTime() < t) {
        return Optional.of(wrote.get(key));
      }
      return super.get(key);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) throws IOException {
      roundTrip();
      super.put(key, content); // the flaw: written even when it existed
      wrote.put(key, content);
      until.put(key, System.nanoTime() + 200_000_000L);
      return true;
    }
  }

  /** FIRST_PAGE_ONLY: list() returns the first page (1,000 names, sorted) and drops the rest. */
  static final class FirstPageOnly extends ForwardingObjectStore {
    FirstPageOnly(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      List<String> all = new ArrayList<>(super.list(prefix));
      java.util.Collections.sort(all);
      return all.size() > 1000 ? all.subList(0, 1000) : all;
    }
  }

  /** DELETE_MISSING_THROWS: delete() of a missing object raises NoSuchFileException. */
  static final class DeleteMissingThrows extends ForwardingObjectStore {
    DeleteMissingThrows(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public void delete(String key) throws IOException {
      if (super.get(key).isEmpty()) {
        throw new java.nio.file.NoSuchFileException(key);
      }
      super.delete(key);
    }
  }

  /** DELETES_NEIGHBOURS: delete(key) removes every object whose name starts with key (a prefix delete). */
  static final class DeletesNeighbours extends ForwardingObjectStore {
    DeletesNeighbours(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public void delete(String key) throws IOException {
      String dir = key.contains("/") ? key.substring(0, key.lastIndexOf('/')) : key;
      for (String k : super.list("")) {
        if (k.startsWith(dir) && !k.equals(key)) {
          super.delete(k); // the flaw: what shares the prefix goes too
        }
      }
      super.delete(key);
    }
  }

  /** FOREIGN_BLIND: list() returns only names of the ckpt4j layout; other objects go unseen. */
  static final class ForeignBlind extends ForwardingObjectStore {
    private static final java.util.regex.Pattern LAYOUT = java.util.regex.Pattern.compile(
        "ckpt4j\\.json|(log|lease)/\\d{20}\\.json|data/[0-9a-f]{16}-[0-9a-f]{16}(/.+|\\.pack-\\d{5})");

    ForeignBlind(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      List<String> out = new ArrayList<>();
      for (String k : super.list(prefix)) {
        if (LAYOUT.matcher(k).matches()) {
          out.add(k);
        }
      }
      return out;
    }
  }

  /** SWALLOWS_DELETE_ERRORS: delete() ignores every error. */
  static final class SwallowsDeleteErrors extends ForwardingObjectStore {
    SwallowsDeleteErrors(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public void delete(String key) {
      try {
        super.delete(key);
      } catch (IOException | RuntimeException ignored) {
        // the flaw
      }
    }
  }

  @Override
  public Set<String> schemes() {
    return Set.of("broken", "brokendir");
  }

  @Override
  public String artifact() {
    return "ckpt4j-tck tests";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of();
  }

  @Override
  public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    return build(flaw(uri), objects(flaw(uri), uri), options);
  }

  @Override
  public Optional<ObjectStore> objectStore(URI uri, StoreOptions options) throws UnsupportedSchemeException {
    return Optional.of(objects(flaw(uri), uri));
  }

  /** The flawed store over (possibly fault-injecting) objects: what the TCK fixture's StoreBuilder returns. */
  public static CheckpointStore build(Flaw flaw, ObjectStore objects, StoreOptions options) throws IOException {
    switch (flaw) {
      case NO_FENCING:
        return CheckpointStores.overObjects(new BlindObjects(objects), options);
      case FORGETS_LEFTOVERS:
        return CheckpointStores.overObjects(new NeverDeletes(objects, "data/"), options);
      case RESTARTS_LEAVE_A_TRAIL:
        return CheckpointStores.overObjects(new NeverDeletes(objects, "log/"), options);
      case IGNORES_IDENTITY:
        try {
          return CheckpointStores.overObjects(objects, options);
        } catch (ForeignContentException e) {
          if (e.foreignOwner().isEmpty()) {
            throw e;
          }
          return CheckpointStores.overObjects(objects, options.toBuilder().expectOwner(e.foreignOwner().get())
              .build());
        }
      case NONE:
      case RANGED_READS_INEXACT: // the flaw is in the objects
      case OVERWRITING_CREATE:
      case FIRST_PAGE_ONLY:
      case DELETE_MISSING_THROWS:
      case SWALLOWS_DELETE_ERRORS:
      case DELETES_NEIGHBOURS:
      case FOREIGN_BLIND:
        return CheckpointStores.overObjects(objects, options);
      case READ_ONLY_WRITES:
        if (options.isReadOnly() && objects.get("ckpt4j.json").isPresent()) {
          // the flaw: a reader registers itself in the backup dir
          objects.put("lease/reader-" + Long.toHexString(System.nanoTime()) + ".json", new byte[] {'{', '}'});
        }
        return CheckpointStores.overObjects(objects, options);
      case PRUNES_UNREADABLE:
        if (!options.isReadOnly()) {
          pruneDataOfUnreadable(objects);
        }
        return CheckpointStores.overObjects(objects, options);
      case OWN_LEASE_TIMEOUT:
        return CheckpointStores.overObjects(new OwnLeaseTimeout(objects, options.leaseTimeout().toMillis()),
            options);
      case TMP_NAMES_ARE_OURS:
        return CheckpointStores.overObjects(new TmpNamesAreOurs(objects), options);
      case LEASE_NEVER_RENEWS:
        return CheckpointStores.overObjects(new LeaseNeverRenews(objects), options);
      case NO_POST_CREATE_FENCE:
        return CheckpointStores.overObjects(new NoPostCreateFence(objects), options);
      case NO_PURGE_AT_OPEN:
        return CheckpointStores.overObjects(new NoPurge(objects), options);
      case SYNC_AFTER_RECORD:
        return CheckpointStores.overObjects(new SyncAfterRecord(objects), options);
      case PACK_NEVER_FORCED: // the flaw is in the (simulated) disk
      case RECORD_DIR_NOT_SYNCED:
        return CheckpointStores.overObjects(objects, options);
      case LATEST_IS_PREVIOUS: // keeps the previous checkpoint, whatever was asked, to return it
        return new FlawedStore(flaw, CheckpointStores.overObjects(objects, options.isReadOnly() ? options
            : options.toBuilder().keepPrevious(true).build()), objects);
      default:
        return new FlawedStore(flaw, CheckpointStores.overObjects(objects, options), objects);
    }
  }

  /** NO_FENCING: sees only the log records that existed when it opened and its own; create-if-absent overwrites. */
  static final class BlindObjects extends ForwardingObjectStore {
    private final Set<String> visible = ConcurrentHashMap.newKeySet();
    private volatile boolean listed;

    BlindObjects(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      List<String> all = super.list(prefix);
      if (!listed) {
        listed = true;
        visible.addAll(super.list(""));
      }
      List<String> mine = new ArrayList<>();
      for (String k : all) {
        if (!k.startsWith("log/") || visible.contains(k)) {
          mine.add(k);
        }
      }
      return mine;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) throws IOException {
      visible.add(key);
      super.put(key, content);
      return true;
    }

    @Override
    public void put(String key, byte[] content) throws IOException {
      visible.add(key);
      super.put(key, content);
    }
  }

  private static final java.util.regex.Pattern DATA_DIR = java.util.regex.Pattern.compile(
      "data/([0-9a-f]{16}-[0-9a-f]{16})[/.].*"); // data/<id>/... or data/<id>.pack-<n>

  /**
   * PRUNES_UNREADABLE (what an open did before issue 17): when a log record fails verification, every data
   * object that no readable record names is deleted, the data of the unreadable record included.
   */
  static void pruneDataOfUnreadable(ObjectStore objects) throws IOException {
    List<String> readable = new ArrayList<>();
    boolean unreadable = false;
    for (String key : objects.list("log/")) {
      Optional<byte[]> rec = objects.get(key);
      if (rec.isPresent() && org.ckpt4j.tck.RecordSurgery.readable(rec.get())) {
        readable.add(new String(rec.get(), java.nio.charset.StandardCharsets.UTF_8));
      } else if (rec.isPresent()) {
        unreadable = true;
      }
    }
    if (!unreadable) {
      return;
    }
    for (String key : objects.list("data/")) {
      java.util.regex.Matcher m = DATA_DIR.matcher(key);
      if (m.matches() && readable.stream().noneMatch(r -> r.contains(m.group(1)))) {
        objects.delete(key); // the flaw
      }
    }
  }

  /**
   * OWN_LEASE_TIMEOUT: every lease timeout a claim or lease record carries reads as this store's own (the
   * records are sealed again, so they verify): a newcomer judges the holder by its own timeout.
   */
  static final class OwnLeaseTimeout extends ForwardingObjectStore {
    private static final java.util.regex.Pattern TIMEOUT = java.util.regex.Pattern.compile(
        "\"((?:lease|timeout)[A-Za-z]*)\":(\\d+)");
    private final long ownMillis;

    OwnLeaseTimeout(ObjectStore delegate, long ownMillis) {
      super(delegate);
      this.ownMillis = ownMillis;
    }

    @Override
    public Optional<byte[]> getAtMost(String key, int limit) throws IOException {
      return get(key).map(b -> b.length > limit ? java.util.Arrays.copyOf(b, limit) : b);
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
      Optional<byte[]> b = super.get(key);
      if (b.isEmpty() || !(key.startsWith("log/") || key.startsWith("lease/"))) {
        return b;
      }
      String t = new String(b.get(), java.nio.charset.StandardCharsets.UTF_8);
      java.util.regex.Matcher m = TIMEOUT.matcher(t);
      if (!m.find()) {
        return b;
      }
      String edited = m.replaceAll(r -> "\"" + r.group(1) + "\":" + ownMillis);
      return Optional.of(org.ckpt4j.tck.RecordSurgery.reseal(edited.getBytes(
          java.nio.charset.StandardCharsets.UTF_8)));
    }
  }

  /** TMP_NAMES_ARE_OURS: names starting with .ckpt4j-tmp- anywhere are hidden from list() and purged at open. */
  static final class TmpNamesAreOurs extends ForwardingObjectStore {
    TmpNamesAreOurs(ObjectStore delegate) {
      super(delegate);
    }

    private static boolean tmp(String key) {
      return key.substring(key.lastIndexOf('/') + 1).startsWith(".ckpt4j-tmp-");
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      List<String> out = new ArrayList<>();
      for (String k : super.list(prefix)) {
        if (!tmp(k)) {
          out.add(k);
        }
      }
      return out;
    }

    @Override
    public void purgeIncomplete(Predicate<String> ours) throws IOException {
      for (String k : super.list("")) {
        if (tmp(k)) {
          super.delete(k); // the flaw: a user's file taken for a leftover temporary file
        }
      }
      super.purgeIncomplete(ours);
    }
  }

  /** LEASE_NEVER_RENEWS: the first write of a lease object goes through; every later one is dropped. */
  static final class LeaseNeverRenews extends ForwardingObjectStore {
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    LeaseNeverRenews(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public void put(String key, byte[] content) throws IOException {
      if (key.startsWith("lease/") && !written.add(key)) {
        return; // the flaw: the heartbeat "succeeds" without renewing anything
      }
      super.put(key, content);
    }
  }

  /**
   * NO_POST_CREATE_FENCE: the listing right after a log record was created shows no slot above it, so the
   * protocol's check for a newer record of another store (the paused writer's fence) finds none.
   */
  static final class NoPostCreateFence extends ForwardingObjectStore {
    private final ThreadLocal<String> created = new ThreadLocal<>();

    NoPostCreateFence(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) throws IOException {
      boolean won = super.putIfAbsent(key, content);
      if (won && key.startsWith("log/")) {
        created.set(key);
      }
      return won;
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      String mine = created.get();
      created.remove();
      List<String> all = super.list(prefix);
      if (mine == null) {
        return all;
      }
      List<String> out = new ArrayList<>();
      for (String k : all) {
        if (!k.startsWith("log/") || k.compareTo(mine) <= 0) {
          out.add(k); // the flaw: what follows the record just created goes unseen
        }
      }
      return out;
    }
  }

  /** NO_PURGE_AT_OPEN: purgeIncomplete does nothing. */
  static final class NoPurge extends ForwardingObjectStore {
    NoPurge(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public void purgeIncomplete(Predicate<String> ours) {
      // the flaw: a killed writer's temporary files stay
    }
  }

  /**
   * SYNC_AFTER_RECORD: sync(keys) only notes the keys; they are made durable when the next checkpoint starts
   * (its first create) or at close, long after the commit record that names them was published.
   */
  static final class SyncAfterRecord extends ForwardingObjectStore {
    private final Set<String> owed = new java.util.LinkedHashSet<>();

    SyncAfterRecord(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public synchronized void sync(java.util.Collection<String> keys) {
      owed.addAll(keys); // the flaw: the commit record is published before its packs are durable
    }

    private synchronized void payDebt() throws IOException {
      if (!owed.isEmpty()) {
        List<String> keys = List.copyOf(owed);
        owed.clear();
        super.sync(keys);
      }
    }

    @Override
    public ObjectSink create(String key) throws IOException {
      payDebt();
      return super.create(key);
    }

    @Override
    public void close() throws IOException {
      try {
        payDebt();
      } catch (IOException e) {
        // best effort: a delete() removed the packs meanwhile
      } finally {
        super.close();
      }
    }
  }

  /** A view of the objects without the log records in slots at or above {@code hideFrom}. */
  static final class OlderLog extends ForwardingObjectStore {
    private final long hideFrom;

    OlderLog(ObjectStore delegate, long hideFrom) {
      super(delegate);
      this.hideFrom = hideFrom;
    }

    @Override
    public Optional<byte[]> getAtMost(String key, int limit) throws IOException {
      return get(key).map(b -> b.length > limit ? java.util.Arrays.copyOf(b, limit) : b);
    }

    private boolean hidden(String key) {
      return key.matches("log/\\d{20}\\.json") && Long.parseLong(key.substring(4, 24)) >= hideFrom;
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      List<String> out = new ArrayList<>();
      for (String k : super.list(prefix)) {
        if (!hidden(k)) {
          out.add(k);
        }
      }
      return out;
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
      return hidden(key) ? Optional.empty() : super.get(key);
    }

    @Override
    public void close() {}
  }

  /** RANGED_READS_INEXACT: a ranged read starts at the offset but ignores the length. */
  static final class LengthBlindRanges extends ForwardingObjectStore {
    LengthBlindRanges(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public java.nio.channels.ReadableByteChannel open(String key, long offset, long length) throws IOException {
      return super.open(key, offset, Long.MAX_VALUE - offset);
    }
  }

  /**
   * FORGETS_LEFTOVERS: deletes of blob data ({@code data/}) and purges of incomplete uploads do nothing;
   * RESTARTS_LEAVE_A_TRAIL: deletes of log records ({@code log/}) do nothing.
   */
  static final class NeverDeletes extends ForwardingObjectStore {
    private final String prefix;

    NeverDeletes(ObjectStore delegate, String prefix) {
      super(delegate);
      this.prefix = prefix;
    }

    @Override
    public void delete(String key) throws IOException {
      if (!key.startsWith(prefix)) {
        super.delete(key);
      }
    }

    @Override
    public void purgeIncomplete(Predicate<String> ours) throws IOException {
      if (!prefix.equals("data/")) {
        super.purgeIncomplete(ours);
      }
    }
  }

  /** Flaws at the CheckpointStore level, around the correct store. */
  static final class FlawedStore implements CheckpointStore {
    private final Flaw flaw;
    private final CheckpointStore real;
    private final ObjectStore objects;
    private volatile Map<String, String> lastMetadata = Map.of();

    FlawedStore(Flaw flaw, CheckpointStore real, ObjectStore objects) {
      this.flaw = flaw;
      this.real = real;
      this.objects = objects;
    }

    @Override
    public URI uri() {
      return real.uri();
    }

    @Override
    public StoreOptions options() {
      return real.options();
    }

    @Override
    public Set<Capability> capabilities() {
      return flaw == Flaw.MISREPORTS_CAPABILITIES ? Set.of(Capability.POWER_LOSS_DURABLE) : real.capabilities();
    }

    private BufferingWriter open;

    @Override
    public synchronized CheckpointWriter begin() throws IOException {
      if (open != null && !open.closed && flaw != Flaw.ALLOWS_TWO_WRITERS) {
        throw new IllegalStateException("another writer is open");
      }
      open = new BufferingWriter();
      return open;
    }

    @Override
    public Optional<Checkpoint> latest() throws IOException {
      if (flaw == Flaw.LATEST_IS_PREVIOUS) {
        Optional<Checkpoint> previous = real.previous(); // the flaw: the one below the latest, when kept
        return previous.isPresent() ? previous : real.latest();
      }
      if (flaw == Flaw.STALE_LATEST) {
        if (stale == null) {
          stale = real.latest(); // the flaw: what was latest at the first call, forever
        }
        return stale;
      }
      return real.latest().map(this::maybeUnverified);
    }

    private Optional<Checkpoint> stale;

    @Override
    public Optional<Checkpoint> previous() throws IOException {
      if (flaw == Flaw.NO_PREVIOUS) {
        return Optional.empty(); // the flaw: keepPrevious is ignored
      }
      if (flaw == Flaw.RO_PREVIOUS_UNKEPT && real.options().isReadOnly()) {
        Optional<Checkpoint> latest = real.latest();
        if (latest.isPresent()) {
          // the flaw: the commit below the latest one, whether or not its data was kept
          if (older != null) {
            older.close();
          }
          older = CheckpointStores.overObjects(new OlderLog(objects, latest.get().sequence()), real.options());
          return older.latest();
        }
      }
      return real.previous().map(this::maybeUnverified);
    }

    private CheckpointStore older;

    private Checkpoint maybeUnverified(Checkpoint cp) {
      if (flaw != Flaw.UNVERIFIED_DATA && flaw != Flaw.UNVERIFIED_LARGE_BLOBS
          && flaw != Flaw.READ_INTO_SKIPS_LAST) {
        return cp;
      }
      return new Checkpoint() {
        @Override
        public long sequence() {
          return cp.sequence();
        }

        @Override
        public String id() {
          return cp.id();
        }

        @Override
        public Instant committedAt() {
          return cp.committedAt();
        }

        @Override
        public Map<String, String> metadata() {
          return cp.metadata();
        }

        @Override
        public Map<String, Long> blobs() {
          return cp.blobs();
        }

        @Override
        public void readInto(Map<String, List<ByteBuffer>> targets) throws IOException {
          if (flaw != Flaw.READ_INTO_SKIPS_LAST) {
            Checkpoint.super.readInto(targets);
            return;
          }
          String last = new java.util.TreeSet<>(targets.keySet()).last();
          for (Map.Entry<String, List<ByteBuffer>> e : targets.entrySet()) {
            // the flaw: every blob is verified but the last one
            try (ReadableByteChannel ch = e.getKey().equals(last) ? unverified(cp.openBlob(e.getKey()))
                : cp.openBlob(e.getKey())) {
              for (ByteBuffer b : e.getValue()) {
                while (b.hasRemaining() && ch.read(b) >= 0) {
                  // fill
                }
              }
              ByteBuffer rest = ByteBuffer.allocate(8192);
              while (ch.read(rest.clear()) >= 0) {
                // drain: verification happens at the end
              }
            }
          }
        }

        @Override
        public ReadableByteChannel openBlob(String name) throws IOException {
          if (flaw == Flaw.READ_INTO_SKIPS_LAST || flaw == Flaw.UNVERIFIED_LARGE_BLOBS && cp.blobs().get(name)
              < (1 << 20)) {
            return cp.openBlob(name);
          }
          return unverified(cp.openBlob(name));
        }
      };
    }

    /** A channel that ignores failed size and CRC32 checks: what the verification flaws return. */
    private static ReadableByteChannel unverified(ReadableByteChannel in) {
          return new ReadableByteChannel() {
            @Override
            public int read(java.nio.ByteBuffer dst) throws IOException {
              int before = dst.position();
              try {
                return in.read(dst);
              } catch (org.ckpt4j.spi.CorruptCheckpointException e) {
                int n = dst.position() - before;
                return n > 0 ? n : -1; // the flaw: a failed size or CRC32 check is ignored
              }
            }

            @Override
            public boolean isOpen() {
              return in.isOpen();
            }

            @Override
            public void close() throws IOException {
              in.close();
            }
          };
    }

    @Override
    public void delete() throws IOException {
      if (flaw == Flaw.DELETE_ONLY_CLOSES) {
        real.close(); // the flaw: nothing is removed
        return;
      }
      if (flaw == Flaw.DELETES_DATA_FIRST) {
        for (String k : objects.list("data/")) {
          objects.delete(k); // the flaw: data goes before any record says the checkpoint is being deleted
        }
      }
      if (flaw == Flaw.DELETES_FOREIGN) {
        real.close();
        for (String k : objects.list("")) {
          objects.delete(k); // the flaw: everything goes, foreign objects too
        }
        return;
      }
      real.delete();
    }

    @Override
    public void close() throws IOException {
      if (older != null) {
        older.close();
      }
      real.close();
    }

    /** Buffers blobs so that the flawed commit can publish them its own (wrong) way. */
    final class BufferingWriter implements CheckpointWriter {
      private final Map<String, ByteArrayOutputStream> blobs = new LinkedHashMap<>();
      private final Set<String> names = new HashSet<>();
      private boolean committed;
      private volatile boolean closed;

      @Override
      public synchronized WritableByteChannel newBlob(String name) {
        if (flaw != Flaw.NO_NAME_VALIDATION) {
          org.ckpt4j.spi.BlobNames.validate(name);
        }
        if (!names.add(name)) {
          throw new IllegalArgumentException("blob \"" + name + "\" was already written");
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        blobs.put(name, buf);
        return new WritableByteChannel() {
          private boolean open = true;

          @Override
          public int write(ByteBuffer src) {
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            buf.write(b, 0, n);
            return n;
          }

          @Override
          public boolean isOpen() {
            return open;
          }

          @Override
          public void close() throws IOException {
            open = false;
            if (flaw == Flaw.EAGER_PUBLISH) {
              // the flaw: each finished blob is published at once, under the last commit's metadata
              Map<String, String> meta = lastMetadata.isEmpty() ? real.latest().map(Checkpoint::metadata).orElse(
                  Map.of()) : lastMetadata;
              publish(snapshot(), meta);
            }
          }
        };
      }

      private Checkpoint publish(Map<String, byte[]> content, Map<String, String> metadata) throws IOException {
        try (CheckpointWriter w = real.begin()) {
          for (Map.Entry<String, byte[]> e : content.entrySet()) {
            try (WritableByteChannel ch = w.newBlob(e.getKey())) {
              ch.write(ByteBuffer.wrap(e.getValue()));
            }
          }
          return w.commit(metadata);
        }
      }

      private Map<String, byte[]> snapshot() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        blobs.forEach((k, v) -> m.put(k, v.toByteArray()));
        return m;
      }

      @Override
      public synchronized Checkpoint commit(Map<String, String> metadata) throws IOException {
        if (flaw == Flaw.MANGLES_METADATA) {
          Map<String, String> ascii = new LinkedHashMap<>();
          metadata.forEach((k, v) -> ascii.put(k, v.replaceAll("[^\\x00-\\x7f]", "?"))); // the flaw
          metadata = ascii;
        }
        Map<String, byte[]> all = snapshot();
        if (flaw == Flaw.NON_ATOMIC_COMMIT && all.size() > 1) {
          Map<String, byte[]> first = new LinkedHashMap<>(all);
          first.remove(new ArrayList<>(all.keySet()).get(all.size() - 1));
          publish(first, metadata); // the flaw: readers (and crashes) see this half-way state
          try {
            Thread.sleep(20); // a second step that takes a while, as a second round of uploads would
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
          }
        }
        Checkpoint cp = publish(all, metadata);
        committed = true;
        closed = true;
        lastMetadata = metadata;
        return cp;
      }

      @Override
      public synchronized void close() throws IOException {
        closed = true;
        if (!committed && flaw == Flaw.PARTIAL_BLOBS_VISIBLE && !blobs.isEmpty()) {
          committed = true;
          Map<String, String> meta = lastMetadata.isEmpty() ? real.latest().map(Checkpoint::metadata).orElse(Map
              .of()) : lastMetadata;
          publish(snapshot(), meta); // the flaw: an aborted write becomes visible, posing as the last commit
        }
      }
    }
  }
}
