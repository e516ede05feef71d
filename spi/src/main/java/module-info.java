/**
 * The storage contract of ckpt4j and its entry point. Four packages, for four audiences:
 *
 * <ul>
 *   <li>{@code org.ckpt4j.spi}, the user API: {@link org.ckpt4j.spi.CheckpointStores} opens a backup dir by URI;
 *       {@link org.ckpt4j.spi.CheckpointStore}, {@link org.ckpt4j.spi.Checkpoint}, the options and exceptions;
 *   <li>{@code org.ckpt4j.spi.backend}, the backend SPI: {@link org.ckpt4j.spi.backend.CheckpointStoreProvider}
 *       found with {@link java.util.ServiceLoader}, {@link org.ckpt4j.spi.backend.ObjectStore} and its helpers
 *       (the {@code java.nio.file} / {@code java.nio.file.spi} split);
 *   <li>{@code org.ckpt4j.spi.mem}, the reference in-memory {@code mem:} store (exported to the TCK only);
 *   <li>{@code org.ckpt4j.spi.internal}, the protocol over an object store and the registry: not exported.
 * </ul>
 *
 * Backends on the module path (their jars name themselves {@code org.ckpt4j.storage.local}, {@code
 * org.ckpt4j.storage.s3}, ...) provide the service.
 */
@SuppressWarnings("module") // the TCK is an automatic module, not on this module's path at compile time
module org.ckpt4j.spi {
  requires org.slf4j;

  exports org.ckpt4j.spi;
  exports org.ckpt4j.spi.backend;
  exports org.ckpt4j.spi.mem to
      org.ckpt4j.tck;

  uses org.ckpt4j.spi.backend.CheckpointStoreProvider;

  provides org.ckpt4j.spi.backend.CheckpointStoreProvider with
      org.ckpt4j.spi.mem.InMemoryStoreProvider;
}
