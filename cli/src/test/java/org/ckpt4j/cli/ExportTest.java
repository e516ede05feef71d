package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export command's output folder (issue 17 item 4). */
class ExportTest {

  static int export(String... args) {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(sink, true, StandardCharsets.UTF_8);
    return Main.run(args, p, p);
  }

  /** Every path under {@code dir} with its content (directories: empty). */
  static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> t = new TreeMap<>();
    if (!Files.exists(dir)) {
      return t;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        t.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "" : new String(Files.readAllBytes(p),
            StandardCharsets.ISO_8859_1));
      }
    }
    return t;
  }

  private static String interruptedRun() {
    String dir = Fixtures.memDir("export");
    assertThat(export("fit", "--backup-dir", dir, "--epochs", "3", "--samples", "32", "--interrupt-at-epoch", "2",
        "--quiet")).isEqualTo(Main.EXIT_INTERRUPTED);
    return dir;
  }

  @Test
  void aCorruptBlob_leavesTheOutputFolderAsItWas_noUnverifiedBytes(@TempDir Path tmp) throws Exception {
    String dir = interruptedRun();
    List<String> blobs = List.copyOf(Fixtures.latestBlobs(dir).keySet());
    // a blob in the middle: the files before it were verified and moved into place, then must go again
    Fixtures.corrupt(dir, blobs.get(blobs.size() / 2));
    Path to = tmp.resolve("out");
    Files.createDirectories(to.resolve("model"));
    Files.writeString(to.resolve("notes.txt"), "mine");
    Files.writeString(to.resolve("model").resolve("readme"), "also mine");
    Map<String, String> before = tree(to);

    assertThat(export("export", "--backup-dir", dir, "--to", to.toString())).isEqualTo(1);
    assertThat(tree(to)).isEqualTo(before);

    Path fresh = tmp.resolve("fresh").resolve("out");
    assertThat(export("export", "--backup-dir", dir, "--to", fresh.toString())).isEqualTo(1);
    assertThat(tmp.resolve("fresh")).doesNotExist();
  }

  @Test
  void anExistingFile_isRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
    String dir = interruptedRun();
    List<String> blobs = List.copyOf(Fixtures.latestBlobs(dir).keySet());
    Path to = tmp.resolve("out");
    Path taken = to.resolve(blobs.get(blobs.size() - 1)); // the last one written
    Files.createDirectories(taken.getParent());
    Files.writeString(taken, "mine");
    Map<String, String> before = tree(to);
    assertThat(export("export", "--backup-dir", dir, "--to", to.toString())).isEqualTo(1);
    assertThat(tree(to)).isEqualTo(before);
    Files.delete(taken);
    assertThat(export("export", "--backup-dir", dir, "--to", to.toString())).isZero();
    assertThat(tree(to).keySet()).noneMatch(n -> n.contains(Export.TMP_SUFFIX))
        .containsAll(Fixtures.latestBlobs(dir).keySet());
  }
}
