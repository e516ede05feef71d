package org.ckpt4j.tck;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.FencedWriterException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.SupersededCheckpointException;

/**
 * The program the kit runs in child JVMs (crash, pause and cross-process reader rules). Internal: public only
 * because a JVM needs a public main class. It prints one line per event on standard output; the parent parses
 * them.
 */
public final class ChildMain {
  private ChildMain() {}

  /** {@code args[0]}: a properties file written by the kit. */
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    try (FileReader in = new FileReader(args[0], StandardCharsets.UTF_8)) {
      p.load(in);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    URI uri = URI.create(p.getProperty("uri"));
    Duration lease = Duration.ofMillis(Long.parseLong(p.getProperty("leaseMillis")));
    String mode = p.getProperty("mode");
    StoreOptions.Builder b = mode.equals("reader") ? StoreOptions.readOnly() : StoreOptions.forOwner(p
        .getProperty("owner"));
    b.leaseTimeout(lease);
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("prop.")) {
        b.property(k.substring(5), p.getProperty(k));
      }
    }
    try {
      switch (mode) {
        case "writer":
          writer(uri, b.build(), p, out);
          break;
        case "paused":
          paused(uri, b.build(), p, out);
          break;
        case "reader":
          reader(uri, b.build(), p, out);
          break;
        case "train":
          train(uri, lease, p, out);
          break;
        case "race":
          race(uri, b.build(), p, out);
          break;
        default:
          throw new IllegalArgumentException(mode);
      }
    } catch (Throwable t) {
      out.println("ERROR " + oneLine(t));
      t.printStackTrace();
      System.exit(3);
    }
    System.exit(0);
  }

  /** Commits checkpoints in a loop until killed. */
  private static void writer(URI uri, StoreOptions options, Properties p, PrintStream stdout) throws Exception {
    // events go to a file with one write(2) per line: they survive SIGKILL whatever the stdout pipe does
    PrintStream out = new PrintStream(new java.io.FileOutputStream(p.getProperty("events"), true), true,
        StandardCharsets.UTF_8);
    stdout.println("EVENTS " + p.getProperty("events"));
    SplittableRandom r = new SplittableRandom(Long.parseLong(p.getProperty("seed")));
    String gen = p.getProperty("gen");
    long maxBytes = Long.parseLong(p.getProperty("maxBytes"));
    if (Boolean.parseBoolean(p.getProperty("waitGo"))) {
      // Started ahead of its trial: warm up (class loading, the backend's client) with a read-only open, which
      // never writes, then wait for the parent's GO.
      StoreOptions.Builder ro = StoreOptions.readOnly().leaseTimeout(options.leaseTimeout());
      options.properties().forEach(ro::property);
      try (CheckpointStore warm = CheckpointStores.open(uri, ro.build())) {
        warm.latest();
      } catch (java.io.IOException | RuntimeException e) {
        // only a warm-up: the read-write open below reports what matters
      }
      stdout.println("READY");
      String go = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (!"GO".equals(go)) {
        throw new IllegalStateException("expected GO, got " + go);
      }
    }
    try (CheckpointStore s = CheckpointStores.open(uri, options)) {
      out.println("OPENED");
      for (int i = 0; ; i++) {
        Content drawn = Content.random(gen + "-" + i, r, 3, maxBytes);
        Content c = new Content(drawn.label, drawn.blobs, java.util.Map.of());
        out.println("BEGIN " + c.label + " " + c.metadata().get(Content.SPEC));
        c.commit(s);
        out.println("COMMITTED " + c.label);
      }
    }
  }

  /** Commits one checkpoint, writes another, waits for "GO" on stdin (the parent pauses it meanwhile), commits. */
  private static void paused(URI uri, StoreOptions options, Properties p, PrintStream out) throws Exception {
    SplittableRandom r = new SplittableRandom(Long.parseLong(p.getProperty("seed")));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (CheckpointStore s = CheckpointStores.open(uri, options)) {
      Content first = Content.random("child-first", r, 2, 10_000);
      first.commit(s);
      out.println("COMMITTED " + first.label + " " + first.metadata().get(Content.SPEC));
      Content second = Content.random("child-second", r, 2, 10_000);
      try (CheckpointWriter w = s.begin()) {
        second.writeBlobs(w);
        out.println("WROTE");
        String go = in.readLine();
        if (!"GO".equals(go)) {
          throw new IllegalStateException("expected GO, got " + go);
        }
        try {
          w.commit(second.metadata());
          out.println("COMMITTED " + second.label);
        } catch (FencedWriterException e) {
          out.println("FENCED " + oneLine(e));
        }
      }
    }
  }

  /** Races putIfAbsent against other processes (R0.1): READY, then on "GO <epoch millis>" the rounds, DONE. */
  private static void race(URI uri, StoreOptions options, Properties p, PrintStream out) throws Exception {
    Optional<org.ckpt4j.spi.ObjectStore> objects = Kit.providerObjects(uri, options);
    if (objects.isEmpty()) {
      out.println("READY NORAW");
      return;
    }
    try (org.ckpt4j.spi.ObjectStore o = objects.get()) {
      out.println("READY");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String go = in.readLine();
      if (go == null || !go.startsWith("GO ")) {
        throw new IllegalStateException("expected GO <millis>, got " + go);
      }
      ObjectStoreRules.raceInChild(o, p.getProperty("id"), Integer.parseInt(p.getProperty("rounds")),
          Long.parseLong(go.substring(3).trim()), out);
    }
  }

  /** Reads and verifies the latest checkpoint in a loop for {@code millis}. */
  private static void reader(URI uri, StoreOptions options, Properties p, PrintStream out) throws Exception {
    long ok = 0;
    long superseded = 0;
    long empty = 0;
    try (CheckpointStore s = CheckpointStores.open(uri, options)) {
      out.println("OPENED");
      // The window starts once the store is open: a slow client start-up (GCS: seconds) must not eat it.
      long until = System.nanoTime() + Long.parseLong(p.getProperty("millis")) * 1_000_000;
      while (System.nanoTime() < until || ok == 0 && System.nanoTime() < until + 30_000_000_000L) {
        Optional<Checkpoint> cp = s.latest();
        if (cp.isEmpty()) {
          empty++;
          continue;
        }
        Content c = Content.fromMetadata(cp.get().metadata()).orElseThrow(() -> new AssertionError(
            "latest() returned a checkpoint without the kit's metadata: " + cp.get().metadata().keySet()));
        try {
          c.verify(cp.get());
          ok++;
        } catch (SupersededCheckpointException e) {
          superseded++;
        } catch (AssertionError e) {
          out.println("FAIL " + oneLine(e));
          System.exit(2);
        }
      }
    }
    out.println("READS ok=" + ok + " superseded=" + superseded + " empty=" + empty);
  }

  /**
   * Trains the kit's reference loop with BackupAndRestore (resuming from the backup dir), printing RESUMED
   * &lt;checkpoint id or none&gt; &lt;restored schedule count&gt; &lt;its sequence or -1&gt;, then TRAINING
   * lines, SAVED &lt;sequence&gt; after each save, and DONE &lt;weights sha&gt;; with {@code holdAt} it holds
   * (HOLDING) before that global batch until killed.
   */
  private static void train(URI uri, Duration lease, Properties p, PrintStream out) throws Exception {
    java.util.Map<String, String> props = new java.util.TreeMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("prop.")) {
        props.put(k.substring(5), p.getProperty(k));
      }
    }
    org.ckpt4j.resume.BackupAndRestore backup = ResumeRules.backup(uri, lease, props).build();
    ReferenceTraining.LrSchedule schedule = new ReferenceTraining.LrSchedule();
    int holdAt = Integer.parseInt(p.getProperty("holdAt", "-1"));
    int[] saves = {0};
    boolean[] first = {true};
    ReferenceTraining.Hook progress = (epoch, batch, b) -> {
      if (first[0]) {
        first[0] = false;
        out.println("RESUMED " + b.restoredCheckpoint().map(Checkpoint::id).orElse("none") + " "
            + schedule.restoredCount + " " + b.restoredCheckpoint().map(Checkpoint::sequence).orElse(-1L));
      }
      if (b.savesWritten() != saves[0]) {
        saves[0] = b.savesWritten();
        out.println("SAVED " + b.lastSaved().map(Checkpoint::sequence).orElse(-1L));
      }
      out.println("TRAINING " + epoch + "/" + batch);
      try {
        Thread.sleep(25); // stretch the run to ~1.2 s so that kills and the shared-run check land mid-training
        if (epoch * ReferenceTraining.BATCHES_PER_EPOCH + batch == holdAt) {
          out.println("HOLDING"); // a child the kit kills never completes, however fast the machine
          Thread.sleep(Long.MAX_VALUE);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    String sha = ResumeRules.fit(backup, progress, schedule);
    out.println("DONE " + sha);
  }

  static String oneLine(Throwable t) {
    return String.valueOf(t).replace('\n', ' ').replace('\r', ' ');
  }
}
