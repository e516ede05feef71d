package org.ckpt4j.spark;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/** Helpers of the tests that run the command line in other JVMs. */
final class Subprocesses {
  private Subprocesses() {}

  /** The test JVM's class path entries (expanding Surefire's manifest-only jar if it uses one). */
  static List<String> classPath() throws IOException {
    List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
    if (entries.size() == 1 && entries.get(0).endsWith(".jar") && entries.get(0).contains("surefire")) {
      try (JarFile jar = new JarFile(entries.get(0))) {
        Manifest m = jar.getManifest();
        entries.clear();
        for (String url : m.getMainAttributes().getValue("Class-Path").split(" ")) {
          if (!url.isBlank()) {
            entries.add(Paths.get(URI.create(url)).toString());
          }
        }
      }
    }
    return entries;
  }

  /** {@code java ... MultiWorkerFit fit <args>} with this JVM's class path and javacpp cache. */
  static List<String> fitCommand(List<String> args) throws IOException {
    return command(MultiWorkerFit.class, args);
  }

  /** {@code java ... <main> fit <args>} with this JVM's class path and javacpp cache. */
  static List<String> command(Class<?> main, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    // when slf4j-simple is the binding on the test class path: timestamps, to read recovery times off the logs
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.spark=warn");
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classPath()));
    cmd.add(main.getName());
    cmd.add("fit");
    cmd.addAll(args);
    return cmd;
  }

  /** The arguments of the process tests: 2 workers, 512 steps, a backup every 10. */
  static final List<String> ARGS = List.of("--workers", "2", "--epochs", "4", "--batch-size", "8",
      "--samples", "1024", "--save-freq", "10", "--seed", "5", "--lease-timeout-ms", "2000", "--quiet");
  private static String uninterrupted;

  /** The hash of an uninterrupted 2-worker run with {@link #ARGS} (on threads of this JVM; computed once). */
  static synchronized String uninterrupted(Path scratch) throws Exception {
    if (uninterrupted == null) {
      TrainingJob j = new TrainingJob();
      j.backupDir = scratch.resolve("uninterrupted").toString();
      j.epochs = 4;
      j.batchSize = 8;
      j.samples = 1024;
      j.saveFreq = "10";
      j.seed = 5;
      uninterrupted = LocalGroup.run(j, 2, 0).get(0).weightsSha256();
    }
    return uninterrupted;
  }

  /** The global step of the latest checkpoint in {@code dir}, or -1 if there is none (yet). */
  static long latestStep(Path dir) {
    if (!Files.isDirectory(dir)) {
      return -1;
    }
    try (CheckpointStore s = CheckpointStores.open(dir.toString(), StoreOptions.readOnly().build())) {
      Optional<Checkpoint> cp = s.latest();
      return cp.map(c -> Long.parseLong(c.metadata().get("globalStep"))).orElse(-1L);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The last line's hash, {@code epochs_run=N weights_sha256=<hex>}, or null. */
  static String sha(String output) {
    String found = null;
    for (String line : output.split("\n")) {
      if (line.matches("epochs_run=\\d+ weights_sha256=[0-9a-f]{64}")) {
        found = line.substring(line.indexOf('=', line.indexOf("weights_sha256")) + 1);
      }
    }
    return found;
  }
}
