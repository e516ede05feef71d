/**
 * The storage contract of ckpt4j and its entry point: {@link org.ckpt4j.spi.CheckpointStores} opens a backup dir by
 * URI with the {@link org.ckpt4j.spi.CheckpointStoreProvider} found for its scheme. Backends on the module path
 * (their jars name themselves {@code org.ckpt4j.storage.local}, {@code org.ckpt4j.storage.s3}, ...) provide the
 * service; this module provides the in-memory {@code mem:} store.
 */
module org.ckpt4j.spi {
  requires org.slf4j;

  exports org.ckpt4j.spi;

  uses org.ckpt4j.spi.CheckpointStoreProvider;

  provides org.ckpt4j.spi.CheckpointStoreProvider with org.ckpt4j.spi.InMemoryStoreProvider;
}
