package org.ckpt4j.tck;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A child JVM running {@link ChildMain} with this JVM's class path; its stdout lines are collected. */
final class Child implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Path stderr;
  private final Path config;
  private final Thread pump;

  private Child(Process process, Path stderr, Path config) {
    this.process = process;
    this.stderr = stderr;
    this.config = config;
    this.pump = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the child died: its lines so far are what we have
      }
    }, "tck-child-stdout");
    pump.setDaemon(true);
    pump.start();
  }

  static Child start(Kit kit, String mode, Map<String, String> settings) throws IOException {
    Properties p = new Properties();
    p.setProperty("mode", mode);
    p.setProperty("leaseMillis", Long.toString(kit.fixture.leaseTimeout().toMillis()));
    p.setProperty("owner", Kit.OWNER);
    settings.forEach(p::setProperty);
    kit.fixture.properties().forEach((k, v) -> p.setProperty("prop." + k, v));
    Path config = Files.createTempFile("ckpt4j-tck-child", ".properties");
    try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      p.store(w, "ckpt4j TCK child");
    }
    Path err = Files.createTempFile("ckpt4j-tck-child", ".err");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
    // ND4J in training children: same native cache and off-heap limits as this JVM
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("org.bytedeco.") || k.startsWith("sun.net.httpserver.")) {
        cmd.add("-D" + k + "=" + System.getProperty(k));
      }
    }
    cmd.addAll(kit.fixture.childJvmArgs());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildMain.class.getName(),
        config.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
    return new Child(pb.start(), err, config);
  }

  /** Waits for a line starting with {@code prefix}; fails if the child exits first or after the timeout. */
  String await(String prefix, long timeoutMillis) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() < deadline) {
      for (String l : lines) {
        if (l.startsWith(prefix)) {
          return l;
        }
      }
      if (!process.isAlive()) {
        pump.join(2000);
        for (String l : lines) {
          if (l.startsWith(prefix)) {
            return l;
          }
        }
        throw new AssertionError("child JVM exited with " + process.exitValue() + " before printing " + prefix
            + "; its output: " + lines + "; stderr: " + stderrTail());
      }
      Thread.sleep(5);
    }
    throw new AssertionError("child JVM did not print " + prefix + " within " + timeoutMillis + " ms; output: "
        + lines + "; stderr: " + stderrTail());
  }

  /** SIGKILL, then waits for the child to be gone and its output drained. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
    pump.join(30_000);
    if (pump.isAlive()) {
      throw new AssertionError("the standard output of a killed child JVM did not reach its end within 30 s");
    }
  }

  /** Sends a POSIX signal (STOP, CONT) with the kill command. */
  void signal(String name) throws IOException, InterruptedException {
    Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true)
        .start();
    String said = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (k.waitFor() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed" + (said.isEmpty() ? "" : ": " + said));
    }
  }

  void send(String line) throws IOException {
    process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().flush();
  }

  int waitFor(long timeoutMillis) throws InterruptedException {
    if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
      throw new AssertionError("child JVM still running after " + timeoutMillis + " ms; output: " + lines);
    }
    pump.join(5000);
    return process.exitValue();
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  String stderrTail() {
    try {
      String s = Files.readString(stderr, StandardCharsets.UTF_8);
      return s.length() > 2000 ? "..." + s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    Files.deleteIfExists(stderr);
    Files.deleteIfExists(config);
  }
}
