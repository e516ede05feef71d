package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ckpt4j writes to S3 is plain objects that the AWS CLI lists and downloads ({@code aws s3 ls/cp
 * --endpoint-url}). Needs the AWS CLI (v1 or v2; see {@link #findCli()}): skipped with the reason when it is
 * missing, unless {@code -Dckpt4j.require.awscli=true} or {@code CKPT4J_REQUIRE_AWSCLI=true} (CI), which turn a
 * missing CLI into a failure.
 */
class AwsCliCompatibilityTest {
  private static final String BUCKET = "cli";
  private static final int MIB = 1 << 20;

  @TempDir
  static Path dir;
  static S3TestServer server;
  static Path aws;

  @BeforeAll
  static void setUp() throws Exception {
    aws = findCli();
    if (aws != null) {
      server = S3TestServer.start(Files.createDirectory(dir.resolve("s3"))).createBucket(BUCKET);
    }
  }

  /** Per test, so that a missing CLI shows up as a skipped test with its reason. */
  @BeforeEach
  void requireCli() {
    if (aws == null) {
      if (Boolean.getBoolean("ckpt4j.require.awscli") || "true".equalsIgnoreCase(System.getenv(
          "CKPT4J_REQUIRE_AWSCLI"))) {
        fail("the aws CLI is not at -Dckpt4j.awscli, /usr/bin/aws or on the PATH (" + System.getenv("PATH") + ") but -Dckpt4j.require.awscli=true "
            + "or CKPT4J_REQUIRE_AWSCLI=true: install it (Debian: apt-get install awscli)");
      }
      Assumptions.abort("the aws CLI is not at -Dckpt4j.awscli, /usr/bin/aws or on the PATH: install it (Debian: apt-get install awscli) to check "
          + "compatibility; -Dckpt4j.require.awscli=true makes this a failure");
    }
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /**
   * The CLI to check against: {@code -Dckpt4j.awscli=/path/to/aws} if given, else Debian's {@code /usr/bin/aws}
   * (what CI installs), else the first {@code aws} on the PATH.
   */
  private static Path findCli() {
    String given = System.getProperty("ckpt4j.awscli");
    if (given != null && !given.isBlank()) {
      return Files.isExecutable(Path.of(given)) ? Path.of(given) : null;
    }
    Path debian = Path.of("/usr/bin/aws");
    return Files.isExecutable(debian) ? debian : findOnPath("aws");
  }

  private static Path findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Runs the CLI with this server's credentials and no user configuration; returns stdout. */
  private static String aws(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(aws.toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("--endpoint-url", server.endpoint().toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    Path home = Files.createDirectories(dir.resolve("home"));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_"));
    env.put("HOME", home.toString());
    env.put("AWS_ACCESS_KEY_ID", server.accessKey);
    env.put("AWS_SECRET_ACCESS_KEY", server.secretKey);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CONFIG_FILE", home.resolve("config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("credentials").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_PAGER", ""); // (v2) never page; v1 has no pager and no --no-cli-pager option
    Path out = Files.createTempFile(dir, "aws", ".out");
    Path err = Files.createTempFile(dir, "aws", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("aws " + String.join(" ", args) + " did not finish in 120 s");
    }
    String stdout = Files.readString(out);
    assertThat(p.exitValue()).as("exit status of %s %s; stdout: %s; stderr: %s", aws, String.join(" ", args),
        stdout, Files.readString(err)).isZero();
    return stdout;
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(CheckpointWriter w, String blob, byte[] content) throws IOException {
    try (WritableByteChannel out = w.newBlob(blob)) {
      for (int off = 0; off < content.length; off += MIB) {
        out.write(ByteBuffer.wrap(content, off, Math.min(MIB, content.length - off)));
      }
    }
  }

  @Test
  void checkpointObjects_areListedAndDownloadedByTheAwsCli() throws Exception {
    byte[] weights = random(11 * MIB + 3, 7); // three multipart parts of 5 MiB
    byte[] manifest = "{\"layers\":[\"dense_1\",\"dense_2\"]}".getBytes(StandardCharsets.UTF_8);
    StoreOptions options = server.configure(StoreOptions.forOwner("cli-run")).property("s3.part-size", "5MiB")
        .build();
    try (CheckpointStore store = CheckpointStores.open("s3://" + BUCKET + "/runs/cli", options)) {
      try (CheckpointWriter w = store.begin()) {
        write(w, "weights.npy", weights);
        write(w, "manifest.json", manifest);
        w.commit(Map.of("epoch", "3"));
      }
    }

    String listing = aws("s3", "ls", "--recursive", "s3://" + BUCKET + "/runs/cli/");
    List<String> keys = new ArrayList<>();
    for (String line : listing.split("\n")) {
      String[] cols = line.trim().split("\\s+");
      if (cols.length == 4) {
        keys.add(cols[3]);
      }
    }
    assertThat(keys).contains("runs/cli/ckpt4j.json");
    // The blobs are stored one after another in one pack object, in the order written.
    String packKey = keys.stream().filter(k -> k.endsWith(".pack-00000")).findFirst().orElseThrow(
        () -> new AssertionError("no pack object in the listing:\n" + listing));
    assertThat(listing).contains(" " + (weights.length + manifest.length) + " " + packKey);

    Path downloaded = dir.resolve("pack");
    aws("s3", "cp", "s3://" + BUCKET + "/" + packKey, downloaded.toString());
    byte[] pack = Files.readAllBytes(downloaded);
    assertThat(Arrays.copyOfRange(pack, 0, weights.length)).isEqualTo(weights);
    assertThat(Arrays.copyOfRange(pack, weights.length, pack.length)).isEqualTo(manifest);
    Path logDir = dir.resolve("log");
    aws("s3", "cp", "--recursive", "s3://" + BUCKET + "/runs/cli/log/", logDir.toString());
    List<String> records = new ArrayList<>();
    try (var files = Files.list(logDir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        records.add(Files.readString(f));
      }
    }
    assertThat(records).as("commit log records").anySatisfy(r -> assertThat(r).contains("\"commit\"")
        .contains("weights.npy").contains("\"epoch\"").contains("\"offset\":" + weights.length));
  }
}
