package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ckpt4j.cli.LauncherTest.ckpt4j;
import static org.ckpt4j.cli.LauncherTest.concat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ckpt4j.cli.LauncherTest.Result;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.ckpt4j.storage.s3.S3TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code bin/ckpt4j fit|inspect|verify|export} against S3 (S3Proxy) and GCS (the project's JSON-API test server),
 * both started by this test on loopback, with settings given as a user gives them: the AWS SDK's environment
 * variables or {@code --store-property} for S3, {@code STORAGE_EMULATOR_HOST} or {@code --store-property} for GCS.
 * A run interrupted in the cloud resumes bit-identical to an uninterrupted local run; {@code verify} fails once a
 * blob was changed through the server.
 */
class LauncherCloudTest {
  private static final String[] COMMON = {"--epochs", "3", "--samples", "64", "--batch-size", "8", "--keep-previous"};
  private static String straightHash;

  /** The uninterrupted run's final weights, on the local store (the store never changes the numbers). */
  @BeforeAll
  static void uninterruptedRun(@TempDir Path tmp) throws Exception {
    Result straight = ckpt4j(tmp, concat(new String[] {"fit", "--backup-dir", tmp.resolve("straight").toString(),
        "--quiet"}, COMMON));
    assertThat(straight.code()).as(straight.err()).isZero();
    straightHash = straight.hash();
  }

  /** How a backend is reached and how a blob of its backup is changed behind ckpt4j's back. */
  interface Backend {
    /** The environment a user would set. */
    Map<String, String> env();

    /** {@code --store-property} arguments a user would pass instead. */
    List<String> storeProperties();

    /** Flips a byte in the middle of every pack object (the blobs' data) of the backup, through the server. */
    void corruptPacks() throws Exception;
  }

  @Test
  void s3_withTheAwsEnvironmentOrStoreProperties(@TempDir Path tmp) throws Exception {
    try (S3TestServer server = S3TestServer.start(Files.createDirectories(tmp.resolve("s3-data")))) {
      server.createBucket("ckpt");
      String endpoint = server.endpoint().toString();
      scenario(tmp, "s3://ckpt/runs/launcher", new Backend() {
        @Override
        public Map<String, String> env() {
          return Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY",
              S3TestServer.SECRET_KEY, "AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL", endpoint);
        }

        @Override
        public List<String> storeProperties() {
          return List.of("--store-property", "s3.endpoint=" + endpoint, "--store-property", "s3.region=us-east-1");
        }

        @Override
        public void corruptPacks() {
          List<String> keys = server.client().listObjectsV2(b -> b.bucket("ckpt").prefix("runs/launcher/data/"))
              .contents().stream().map(o -> o.key()).toList();
          assertThat(keys).isNotEmpty();
          for (String key : keys) {
            byte[] b = server.client().getObjectAsBytes(r -> r.bucket("ckpt").key(key)).asByteArray();
            b[b.length / 2] ^= 0x01;
            server.client().putObject(r -> r.bucket("ckpt").key(key), RequestBody.fromBytes(b));
          }
        }
      });
    }
  }

  @Test
  void gcs_withStorageEmulatorHostOrStoreProperties(@TempDir Path tmp) throws Exception {
    try (GcsTestServer server = GcsTestServer.start()) {
      server.createBucket("ckpt");
      HttpClient http = HttpClient.newHttpClient();
      scenario(tmp, "gs://ckpt/runs/launcher", new Backend() {
        @Override
        public Map<String, String> env() {
          return Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:" + server.port());
        }

        @Override
        public List<String> storeProperties() {
          return List.of("--store-property", "gs.host=" + server.host(), "--store-property", "gs.credentials=none");
        }

        @Override
        public void corruptPacks() throws Exception {
          List<String> names = server.objectNames("ckpt").stream().filter(n -> n.startsWith("runs/launcher/data/"))
              .toList();
          assertThat(names).isNotEmpty();
          for (String name : names) {
            String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
            HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(server.host()
                + "/storage/v1/b/ckpt/o/" + encoded + "?alt=media")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(got.statusCode()).isEqualTo(200);
            byte[] b = got.body();
            b[b.length / 2] ^= 0x01;
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(server.host()
                + "/upload/storage/v1/b/ckpt/o?uploadType=media&name=" + encoded))
                .POST(HttpRequest.BodyPublishers.ofByteArray(b)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
          }
        }
      });
    }
  }

  /**
   * fit (interrupted, settings from the environment), inspect and inspect --json and verify (settings as store
   * properties, nothing in the environment), export, the printed resume command with --no-delete (environment),
   * then verify after corrupting the packs through the server.
   */
  private static void scenario(Path tmp, String uri, Backend backend) throws Exception {
    Map<String, String> env = backend.env();
    String[] props = backend.storeProperties().toArray(String[]::new);
    Result interrupted = ckpt4j(tmp, env, concat(new String[] {"fit", "--backup-dir", uri, "--quiet",
        "--interrupt-at-epoch", "2"}, COMMON));
    assertThat(interrupted.code()).as(interrupted.err()).isEqualTo(Main.EXIT_INTERRUPTED);
    String resume = interrupted.err().lines().filter(l -> l.startsWith("  ") && l.contains(" fit ")).findFirst()
        .orElseThrow(() -> new AssertionError(interrupted.err())).trim();
    assertThat(resume).startsWith(LauncherTest.DIST.resolve("bin/ckpt4j") + " fit ").contains(uri);

    Map<String, String> s3Keys = uri.startsWith("s3:") ? Map.of("AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY) : Map.of(); // credentials stay in the environment
    Result inspect = ckpt4j(tmp, s3Keys, concat(new String[] {"inspect", "--backup-dir", uri}, props));
    assertThat(inspect.code()).as(inspect.err()).isZero();
    assertThat(inspect.out()).contains("latest: checkpoint #", "previous (kept): checkpoint #",
        "after epoch 2 (2 epochs done", "model/0/b.npy  <f4 [32]  ", "batchSize: 8", "held by: nobody (free)",
        "y: int[64] class ids of 3 classes:sha256=");
    Result json = ckpt4j(tmp, s3Keys, concat(new String[] {"inspect", "--backup-dir", uri, "--json"}, props));
    assertThat(json.code()).as(json.err()).isZero();
    assertThat(json.out()).contains("\"epochsDone\": 2", "\"epochsDone\": 1", "\"holder\": \"free\"");
    Result verify = ckpt4j(tmp, s3Keys, concat(new String[] {"verify", "--backup-dir", uri}, props));
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("verify: OK (2 checkpoints)");

    Path out = tmp.resolve("exported");
    Result export = ckpt4j(tmp, env, "export", "--backup-dir", uri, "--to", out.toString());
    assertThat(export.code()).as(export.err()).isZero();
    assertThat(out.resolve("manifest.json")).isRegularFile();
    byte[] bias = Files.readAllBytes(out.resolve("model/0/b.npy"));
    assertThat(new String(bias, 0, 128, StandardCharsets.US_ASCII)).contains("'shape': (32,)");

    Result resumed = LauncherTest.sh(tmp, env, resume + " --no-delete"); // pasted as printed, keeping the backup
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("epochs_run=1 ");
    assertThat(resumed.hash()).isEqualTo(straightHash);

    assertThat(ckpt4j(tmp, env, "verify", "--backup-dir", uri).code()).isZero();
    backend.corruptPacks();
    Result corrupt = ckpt4j(tmp, env, "verify", "--backup-dir", uri);
    assertThat(corrupt.code()).as(corrupt.out()).isEqualTo(1);
    assertThat(corrupt.err()).contains("latest: FAILED");
  }
}
