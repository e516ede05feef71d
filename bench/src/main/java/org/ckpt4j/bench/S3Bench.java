package org.ckpt4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * ckpt4j's S3 backend against the {@code aws} CLI moving the same bytes to the same server: S3Proxy on loopback
 * with its {@code filesystem-nio2} store. Also counts the HTTP requests of a commit ({@link RequestCounter}).
 */
final class S3Bench {
  private static final double MIB = 1 << 20;
  private static final String ACCESS = "bench-access";
  private static final String SECRET = "bench-secret-not-logged";

  private S3Bench() {}

  static void run(Path dir, int repeats, int blobs, long blobBytes, Report report, PrintStream out)
      throws Exception {
    Path aws = findAws();
    String label = blobs + "x" + (blobBytes >= 1 << 20 ? (blobBytes >> 20) + "MiB" : (blobBytes >> 10) + "KiB");
    if (aws == null) {
      report.note("S3 " + label + ": the aws CLI is not installed (apt-get install awscli): no peer, not run");
      return;
    }
    // Absolute: S3Proxy's filesystem-nio2 store with a relative basedir lists nothing (objects are stored).
    Path serverDir = Files.createDirectories(dir.resolve("s3proxy")).toAbsolutePath();
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", serverDir.toString());
    S3Proxy proxy = S3Proxy.builder().blobStore(BlobStores.create("filesystem-nio2", props))
        .endpoint(URI.create("http://127.0.0.1:0")).awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS,
            SECRET).ignoreUnknownHeaders(true).build();
    proxy.start();
    String endpoint = "http://127.0.0.1:" + proxy.getPort();
    try (S3Client client = S3Client.builder().endpointOverride(URI.create(endpoint)).forcePathStyle(true)
        .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(ACCESS, SECRET))).build()) {
      client.createBucket(b -> b.bucket("bench"));
    }
    long total = blobs * blobBytes;
    List<ByteBuffer> tensors = LocalBench.tensors(new LocalBench.Shape(label, blobs, blobBytes));
    Path src = Files.createDirectories(dir.resolve("aws-src"));
    for (int i = 0; i < blobs; i++) {
      try (FileChannel ch = FileChannel.open(src.resolve("t" + i + ".bin"), StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        LocalBench.writeFully(ch, tensors.get(i).duplicate());
      }
    }
    List<ByteBuffer> into = new ArrayList<>();
    for (ByteBuffer t : tensors) {
      into.add(ByteBuffer.allocateDirect(t.capacity()));
    }
    Stats awsUp = new Stats();
    Stats awsDown = new Stats();
    Stats save = new Stats();
    Stats restore = new Stats();
    StoreOptions options = StoreOptions.forOwner("bench-s3").property("s3.endpoint", endpoint)
        .property("s3.access-key", ACCESS).property("s3.secret-key", SECRET).property("s3.region", "us-east-1")
        .build();
    String requests = "";
    try (CheckpointStore store = CheckpointStores.open("s3://bench/ckpt4j", options)) {
      for (int r = 0; r < repeats + 1; r++) {
        boolean warmup = r == 0;
        Path dst = dir.resolve("aws-dst");
        deleteTree(dst);
        double tUp = timeProcess(aws, endpoint, src, "cp", src.toString(), "s3://bench/aws/", "--recursive");
        RequestCounter.reset();
        double tSave = GrowthBench.saveMillis(store, tensors) / 1000;
        if (r == 1) {
          requests = RequestCounter.total() + " requests for " + blobs + " blobs " + RequestCounter.snapshot();
        }
        double tDown = timeProcess(aws, endpoint, src, "cp", "s3://bench/aws/", dst.toString(), "--recursive");
        double tRead = LocalBench.timeRestore(store, into);
        if (!warmup) {
          awsUp.add(total / MIB / tUp);
          save.add(total / MIB / tSave);
          awsDown.add(total / MIB / tDown);
          restore.add(total / MIB / tRead);
        }
        System.err.printf("  s3 %s repeat %d/%d: save %.0f MiB/s (aws %.0f), restore %.0f MiB/s (aws %.0f)%s%n",
            label, r, repeats, total / MIB / tSave, total / MIB / tUp, total / MIB / tRead, total / MIB / tDown,
            warmup ? " (warm-up, not counted)" : "");
      }
      store.delete();
    } finally {
      proxy.stop();
      deleteTree(serverDir);
      deleteTree(src);
      deleteTree(dir.resolve("aws-dst"));
    }
    report.compare("S3 save " + label, "MiB/s", save, "aws s3 cp (upload)", awsUp, true, 1.0);
    report.compare("S3 restore " + label, "MiB/s", restore, "aws s3 cp (download)", awsDown, true, 1.0);
    report.note("S3 " + label + " commit: " + requests + ". Blob data (the blobs go one after another into"
        + " packs that take blobs until they hold 64 MiB): one PutObject per pack smaller than a part, else Create + UploadPart "
        + "per part + Complete; the rest (commit record, lists, deletes of the superseded "
        + "checkpoint, heartbeats during the save) is the protocol's constant.");
    out.flush();
  }

  /** Runs {@code aws s3 <args>} against the server; returns seconds. */
  private static double timeProcess(Path aws, String endpoint, Path workDir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(aws.toString(), "s3"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--endpoint-url", endpoint, "--only-show-errors"));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("AWS_ACCESS_KEY_ID", ACCESS);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", "/dev/null");
    env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    env.put("AWS_PAGER", "");
    long t0 = System.nanoTime();
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("aws " + String.join(" ", args) + " failed: " + output);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Debian's awscli (/usr/bin/aws) first, as the issue asks, else any aws on the PATH. */
  static Path findAws() {
    Path debian = Path.of("/usr/bin/aws");
    if (Files.isExecutable(debian)) {
      return debian;
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d, "aws");
      if (!d.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
