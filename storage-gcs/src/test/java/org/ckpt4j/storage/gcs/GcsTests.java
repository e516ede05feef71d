package org.ckpt4j.storage.gcs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Random;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;

/** Shared test helpers: options for the test server, object stores on it, data. */
final class GcsTests {
  private GcsTests() {}

  /** Settings for a test server: no credentials, fast bounded retries, small chunks. */
  static StoreOptions.Builder options(StoreOptions.Builder b, GcsTestServer server) {
    return b.property("gs.host", server.host()).property("gs.credentials", "none")
        .property("gs.project", "test-project").property("gs.max-attempts", "3")
        .property("gs.retry-delay", "10ms").property("gs.chunk-size", "256KiB");
  }

  static GcsObjectStore objects(GcsTestServer server, String uri) throws IOException {
    return GcsStoreProvider.objects(URI.create(uri), options(StoreOptions.forOwner("test"), server).build());
  }

  static GcsObjectStore objects(GcsTestServer server, String uri, int listPageSize) throws IOException {
    GcsSettings s = GcsSettings.parse(URI.create(uri), options(StoreOptions.forOwner("test"), server).build());
    return new GcsObjectStore(s, GcsStoreProvider.client(s), listPageSize);
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] readAll(ReadableByteChannel ch, int bufferSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(bufferSize);
    while (ch.read(buf) >= 0) {
      buf.flip();
      out.write(buf.array(), 0, buf.limit());
      buf.clear();
    }
    return out.toByteArray();
  }
}
