package org.ckpt4j.spi;

import java.io.IOException;

/** The checkpoint protocol over {@link ObjectStore} primitives. (Being written: see docs/contract.md.) */
final class ObjectCheckpointStore {
  private ObjectCheckpointStore() {}

  static CheckpointStore open(ObjectStore objects, StoreOptions options) throws IOException {
    throw new UnsupportedOperationException("protocol not implemented yet");
  }
}
