package org.ckpt4j.tck;

import java.net.URI;
import java.util.UUID;

/** Certifies the in-memory reference backend ({@code mem:}) with the full kit. */
class MemReferenceTck extends CheckpointStoreTck {
  @Override
  protected TckFixture fixture() {
    return TckFixture.builder(() -> URI.create("mem:tck-" + UUID.randomUUID()))
        .capabilities()
        .build();
  }
}
