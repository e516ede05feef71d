package org.ckpt4j.cli;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.ckpt4j.trainer.ExactResume;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ND4J trainer's exact-resume property ({@link ExactResume}, from the trainer's test-jar) on every backend of
 * this repository: local disk, Jimfs, {@code mem:}, S3 (S3Proxy on loopback) and GCS (the project's GCS test
 * server on loopback). Here, not in the backends' modules, because backends never depend on the trainer; the
 * command line already depends on every backend. Storage faults are injected into each backend's own objects.
 *
 * <p>Examples per backend: {@code -Dckpt4j.cli.exactResume.examples=N} (default 15); seed:
 * {@code -Dckpt4j.trainer.seed=S}.
 */
class BackendsExactResumeTest {
  private static final int EXAMPLES = Integer.getInteger("ckpt4j.cli.exactResume.examples", 15);
  private static final long SEED = Long.getLong("ckpt4j.trainer.seed", System.nanoTime());

  @TempDir Path tmp;

  @Test
  void localDisk_resumesBitIdentical() {
    ExactResume.check("file", () -> Files.createTempDirectory(tmp, "d").resolve("backup").toUri().toString(),
        EXAMPLES, SEED);
  }

  @Test
  void jimfs_resumesBitIdentical() throws Exception {
    try (FileSystem fs = Jimfs.newFileSystem("cli-" + System.nanoTime(), Configuration.unix())) {
      Path root = Files.createDirectories(fs.getPath("/backups"));
      ExactResume.check("jimfs", () -> Files.createTempDirectory(root, "d").resolve("backup").toUri().toString(),
          EXAMPLES, SEED);
    }
  }

  @Test
  void mem_resumesBitIdentical() {
    ExactResume.check("mem", () -> Fixtures.memDir("exact-resume"), EXAMPLES, SEED);
  }

  @Test
  void s3_resumesBitIdentical() throws Exception {
    Properties props = new Properties();
    Path data = Files.createDirectory(tmp.resolve("s3"));
    Files.createDirectory(data.resolve("runs")); // the bucket: a directory of the filesystem-nio2 store
    props.setProperty("jclouds.filesystem.basedir", data.toString());
    String key = "cli-test-access";
    String secret = "cli-test-secret-" + UUID.randomUUID();
    S3Proxy proxy = S3Proxy.builder().blobStore(BlobStores.create("filesystem-nio2", props)).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, key, secret).ignoreUnknownHeaders(true).build();
    proxy.start();
    try {
      Map<String, String> properties = Map.of("s3.endpoint", "http://127.0.0.1:" + proxy.getPort(),
          "s3.access-key", key, "s3.secret-key", secret, "s3.region", "us-east-1", "s3.max-attempts", "2");
      ExactResume.check("s3", dirs(() -> "s3://runs/run-" + UUID.randomUUID(), properties), EXAMPLES, SEED);
    } finally {
      proxy.stop();
    }
  }

  @Test
  void gcs_resumesBitIdentical() throws Exception {
    try (GcsTestServer server = GcsTestServer.start()) {
      server.createBucket("runs");
      Map<String, String> properties = Map.of("gs.host", server.host(), "gs.credentials", "none",
          "gs.project", "test-project", "gs.max-attempts", "3", "gs.retry-delay", "10ms");
      ExactResume.check("gcs", dirs(() -> "gs://runs/run-" + UUID.randomUUID(), properties), EXAMPLES, SEED);
    }
  }

  private static ExactResume.Dirs dirs(ExactResume.Dirs names, Map<String, String> properties) {
    return new ExactResume.Dirs() {
      @Override
      public String newDir() throws java.io.IOException {
        return names.newDir();
      }

      @Override
      public Map<String, String> properties() {
        return properties;
      }
    };
  }
}
