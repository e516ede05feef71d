package org.ckpt4j.storage.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.ckpt4j.spi.Capability;
import org.ckpt4j.tck.CheckpointStoreTck;
import org.ckpt4j.tck.TckFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certifies the S3 backend with the full kit against S3Proxy on loopback, storing in a temp directory
 * ({@code filesystem-nio2}), so that the SIGKILL child JVMs, which talk to this JVM's server, leave durable data.
 */
class S3StoreTck extends CheckpointStoreTck {
  private static final String BUCKET = "tck";

  @TempDir
  static Path data;
  static S3TestServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3TestServer.start(Files.createDirectory(data.resolve("s3"))).createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> URI.create("s3://" + BUCKET + "/run-" + UUID.randomUUID()))
        .property("s3.endpoint", server.endpoint().toString())
        .property("s3.access-key", server.accessKey)
        .property("s3.secret-key", server.secretKey)
        .property("s3.region", "us-east-1")
        .property("s3.part-size", "5MiB")
        .capabilities(Capability.CROSS_PROCESS)
        .objects((dir, options) -> S3StoreProvider.objects(dir, options))
        .transportFaults(server.faults)
        .build();
  }
}
