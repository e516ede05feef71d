package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/ckpt4j fit --workers N} as a user runs it: the command line's distribution ({@code -Dckpt4j.dist},
 * built by module cli) with this module's multi-worker part ({@code -Dckpt4j.multiworker}, the archive) unpacked
 * into it with {@code tar}, as the README says. Runs in the verify phase, after package built the archive.
 */
@Tag("process")
class LauncherMultiWorkerTest {
  private static final Path DIST = Path.of(System.getProperty("ckpt4j.dist", "../cli/target/ckpt4j"))
      .toAbsolutePath().normalize();
  /** Set by the verify-phase execution only (pom.xml): the archive that package built. */
  private static final String ARCHIVE_PROPERTY = System.getProperty("ckpt4j.multiworker");
  private static final Pattern RESULT = Pattern.compile("(?m)^epochs_run=(\\d+) weights_sha256=([0-9a-f]{64})$");
  private static final Pattern JAR = Pattern.compile("(.+?)-(\\d[0-9A-Za-z.\\-]*?)(-linux-x86_64)?\\.jar");
  private static final List<String> ARGS = List.of("--workers", "2", "--epochs", "3", "--samples", "64",
      "--batch-size", "8", "--save-freq", "4", "--seed", "7", "--quiet");

  @TempDir
  static Path tmp;
  private static Path home;

  /** A distribution of symlinks to the built one's bin/ckpt4j and lib/*.jar, with the archive unpacked into it. */
  @BeforeAll
  static void installMultiWorkerPart() throws Exception {
    // -Dtest=... runs it in the test phase too, before package: not applicable there
    Assumptions.assumeTrue(ARCHIVE_PROPERTY != null, "not applicable before package: runs in the verify phase");
    Path archive = Path.of(ARCHIVE_PROPERTY);
    assertThat(DIST.resolve("bin/ckpt4j")).as("the command line's distribution (mvn -pl cli package)").exists();
    assertThat(archive).isRegularFile();
    home = tmp.resolve("ckpt4j");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("lib"));
    Files.copy(DIST.resolve("bin/ckpt4j"), home.resolve("bin/ckpt4j"));
    try (Stream<Path> jars = Files.list(DIST.resolve("lib"))) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        Files.createSymbolicLink(home.resolve("lib").resolve(jar.getFileName()), jar);
      }
    }
    Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", home.toString()).inheritIO().start();
    assertThat(tar.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).isZero();
  }

  @Test
  void thePartAddsOnlyLibMultiworker_eachSharedLibraryInANewerVersionThanTheBase() throws IOException {
    try (Stream<Path> top = Files.list(home)) {
      assertThat(top.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("bin", "lib");
    }
    Map<String, String> base = versions(home.resolve("lib"));
    Map<String, String> part = versions(home.resolve("lib/multiworker"));
    assertThat(part).containsKey("ckpt4j-spark").containsKey("spark-core_2.13");
    List<String> notNewer = new ArrayList<>();
    part.forEach((name, version) -> {
      if (base.containsKey(name) && compare(version, base.get(name)) <= 0) {
        notNewer.add(name + " " + version + " (base " + base.get(name) + ")");
      }
    });
    // lib/multiworker comes first on the class path: a copy that is not newer would downgrade the base's
    assertThat(notNewer).as("exclude these in spark/src/assembly/multiworker.xml").isEmpty();
  }

  @Test
  void fitWorkers2_failingWorker1MidEpoch_endsBitIdenticalToTheUninterruptedRun() throws Exception {
    Result straight = ckpt4j(with("fit", "--backup-dir", tmp.resolve("a").toString()));
    assertThat(straight.code).as(straight.err).isZero();
    assertThat(straight.out).contains("stage_attempts=1");
    Result failed = ckpt4j(with("fit", "--backup-dir", tmp.resolve("b").toString(), "--fail-worker", "1",
        "--fail-at-batch", "10"));
    assertThat(failed.code).as(failed.err).isZero();
    assertThat(failed.out).contains("stage_attempts=2");
    assertThat(failed.hash()).isEqualTo(straight.hash());
    assertThat(failed.err).doesNotContain("SLF4J");
  }

  private static List<String> with(String... first) {
    List<String> l = new ArrayList<>(List.of(first));
    l.addAll(ARGS);
    return l;
  }

  record Result(int code, String out, String err) {
    String hash() {
      Matcher m = RESULT.matcher(out);
      assertThat(m.find()).as("result line in %s / %s", out, err).isTrue();
      return m.group(2);
    }
  }

  /** Runs the launcher with a user's environment: no numeric settings, no SPARK_LOCAL_IP (it sets both). */
  private static Result ckpt4j(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin/ckpt4j").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("OMP_NUM_THREADS");
    pb.environment().remove("OPENBLAS_CORETYPE");
    pb.environment().remove("SPARK_LOCAL_IP");
    String cache = System.getProperty("ckpt4j.javacpp.cachedir");
    if (cache != null) {
      pb.environment().put("CKPT4J_JAVACPP_CACHEDIR", cache);
    }
    pb.environment().put("JAVA_OPTS", "-Xmx768m");
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Jar name without version (and platform) -> version, of a lib directory. */
  private static Map<String, String> versions(Path dir) throws IOException {
    Map<String, String> v = new TreeMap<>();
    try (Stream<Path> jars = Files.list(dir)) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        Matcher m = JAR.matcher(jar.getFileName().toString());
        if (m.matches()) {
          v.put(m.group(1) + (m.group(3) == null ? "" : m.group(3)), m.group(2));
        } else {
          v.put(jar.getFileName().toString(), "");
        }
      }
    }
    return v;
  }

  /** Compares dotted versions by their numeric parts ({@code 2.21.2} > {@code 2.18.3}; {@code 33.6.0-jre}). */
  static int compare(String a, String b) {
    String[] x = a.split("[.\\-]");
    String[] y = b.split("[.\\-]");
    for (int k = 0; k < Math.max(x.length, y.length); k++) {
      String p = k < x.length ? x[k] : "0";
      String q = k < y.length ? y[k] : "0";
      int c = p.matches("\\d+") && q.matches("\\d+") ? Long.compare(Long.parseLong(p), Long.parseLong(q))
          : p.compareTo(q);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
