package org.ckpt4j.cli;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.ckpt4j.spi.mem.InMemoryStoreProvider;

/** Shared test data and helpers of the command line's tests. */
final class Fixtures {
  private static final AtomicLong NAMES = new AtomicLong();

  private Fixtures() {}

  /** A fresh in-memory backup dir name. */
  static String memDir(String prefix) {
    return "mem:" + prefix + "-" + NAMES.incrementAndGet() + "-" + System.nanoTime();
  }

  /** The test's simulated crash. */
  static final class Boom extends RuntimeException {
    Boom(String message) {
      super(message);
    }
  }

  static byte[] readBlob(Checkpoint cp, String name) throws IOException {
    try (java.io.InputStream in = java.nio.channels.Channels.newInputStream(cp.openBlob(name))) {
      return in.readAllBytes();
    }
  }

  /** The latest checkpoint's blobs by name. */
  static Map<String, byte[]> latestBlobs(String dir) throws IOException {
    try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
      Checkpoint cp = s.latest().orElseThrow();
      Map<String, byte[]> blobs = new LinkedHashMap<>();
      for (String name : cp.blobs().keySet()) {
        blobs.put(name, readBlob(cp, name));
      }
      return blobs;
    }
  }

  /** Flips the last byte of one blob of the latest checkpoint of a {@code mem:} backup dir, where it is stored. */
  static void corrupt(String dir, String blob) throws IOException {
    Checkpoint cp;
    byte[] bytes;
    try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
      cp = s.latest().orElseThrow();
      bytes = readBlob(cp, blob);
    }
    InMemoryObjectStore objects = InMemoryStoreProvider.objects(URI.create(dir));
    for (Map.Entry<String, byte[]> e : objects.snapshot().entrySet()) {
      byte[] content = e.getValue();
      if (!e.getKey().startsWith("data/" + cp.id())) { // data/<id>.pack-<n>
        continue;
      }
      for (int at = 0; at + bytes.length <= content.length; at++) {
        if (java.util.Arrays.equals(content, at, at + bytes.length, bytes, 0, bytes.length)) {
          content[at + bytes.length - 1] ^= 0x10;
          objects.put(e.getKey(), content);
          return;
        }
      }
    }
    throw new AssertionError("blob " + blob + " not found in " + objects.snapshot().keySet());
  }
}
