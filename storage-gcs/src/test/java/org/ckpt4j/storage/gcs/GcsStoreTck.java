package org.ckpt4j.storage.gcs;

import java.net.URI;
import java.util.UUID;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.storage.gcs.testserver.Fault;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.ckpt4j.tck.CheckpointStoreTck;
import org.ckpt4j.tck.TckFixture;
import org.ckpt4j.tck.TransportFaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Certifies the GCS backend with the full kit, through the real {@code google-cloud-storage} client, against the
 * GCS JSON API test server on loopback. The server keeps objects in this JVM's memory; the SIGKILL child JVMs
 * talk to it over HTTP, so their writes outlive them. Transport faults fail requests on the wire: before they are
 * applied (503 or a dropped connection) or after (response lost: a retried create-if-absent then reports 412).
 */
class GcsStoreTck extends CheckpointStoreTck {
  private static final String BUCKET = "tck";
  static GcsTestServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = GcsTestServer.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> URI.create("gs://" + BUCKET + "/run-" + UUID.randomUUID()))
        .property("gs.host", server.host())
        .property("gs.credentials", "none")
        .property("gs.project", "tck")
        .property("gs.max-attempts", "4")
        .property("gs.retry-delay", "20ms")
        .property("gs.chunk-size", "256KiB")
        .capabilities(Capability.CROSS_PROCESS)
        // listings of 10 names a page (the client's default is 1,000): every listing of the rules that run over
        // these objects (raw access, fault injection) crosses pages, not only R0.3's 5,003 objects
        .objects((dir, options) -> {
          GcsSettings s = GcsSettings.parse(dir, options);
          return new GcsObjectStore(s, GcsStoreProvider.client(s), 10);
        })
        .transportFaults(new ServerFaults(server))
        // each SIGKILL trial starts a child JVM that loads the GCS client (~2-3 s on 2 cores): 15 by default keeps
        // the module's tests near 2 minutes; certification runs raise it with -Dckpt4j.tck.crashTrials
        .crashTrials(15)
        .build();
  }

  /** The kit's transport fault hook on the test server: 503s and dropped connections, by the request number. */
  static final class ServerFaults implements TransportFaults {
    private final GcsTestServer server;

    ServerFaults(GcsTestServer server) {
      this.server = server;
    }

    @Override
    public long requests() {
      return server.requests();
    }

    @Override
    public void failRequest(long n, Kind kind) {
      Fault fault;
      if (kind == Kind.FAIL_BEFORE) {
        // a resumable chunk cut in half is not applied either: the upload stays unfinalized
        fault = n % 3 == 0 ? Fault.SERVICE_UNAVAILABLE_BEFORE : n % 3 == 1 ? Fault.DROP_BEFORE
            : Fault.DROP_MID_UPLOAD;
      } else {
        fault = n % 2 == 1 ? Fault.DROP_AFTER : Fault.SERVICE_UNAVAILABLE_AFTER;
      }
      server.failRequest(n, fault);
    }

    @Override
    public void disarm() {
      server.clearFaults();
      server.resetCounters();
    }
  }
}
