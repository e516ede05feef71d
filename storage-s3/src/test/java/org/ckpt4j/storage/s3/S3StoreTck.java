package org.ckpt4j.storage.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.tck.CheckpointStoreTck;
import org.ckpt4j.tck.TckFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certifies the S3 backend with the full kit against S3Proxy on loopback, storing in a temp directory
 * ({@code filesystem-nio2}), so that the SIGKILL child JVMs, which talk to this JVM's server, leave durable data.
 * Transport faults are injected on the server side ({@link FaultyBlobStore}: HTTP 500 before or after a storage
 * call is applied), so the SDK's retries and the protocol's "I already won" path are exercised over HTTP.
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
        // Child JVMs only open a store and commit or read: C1 and the serial GC start them faster.
        .childJvmArgs("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
        // 3-6 s per SIGKILL trial (a JVM with the AWS SDK starting on 2 cores): 5 by default keeps the module's
        // tests near 2 minutes; certification runs raise it (-Dckpt4j.tck.scale=10 or -Dckpt4j.tck.crashTrials).
        .crashTrials(5)
        // A live holder proves itself by rewriting its lease object over HTTP every leaseTimeout / 4; on a busy
        // 2-core machine the kit's 400 ms default leaves too little room, so live stores were taken over.
        .leaseTimeout(Duration.ofMillis(1000))
        // blobs up to 6 MiB, so that some go up as multipart uploads (parts of 5 MiB) and come back ranged
        .maxBlobBytes(6 << 20)
        .build();
  }
}
