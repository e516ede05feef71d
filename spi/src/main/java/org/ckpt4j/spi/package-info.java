/**
 * The user API of ckpt4j's storage: {@link org.ckpt4j.spi.CheckpointStores#open} gives a
 * {@link org.ckpt4j.spi.CheckpointStore} (its javadoc is the contract, rule by rule; {@code docs/contract.md} states
 * each rule in full) for a URI and {@link org.ckpt4j.spi.StoreOptions}; {@link org.ckpt4j.spi.CheckpointWriter}
 * writes a checkpoint, {@link org.ckpt4j.spi.Checkpoint} reads one, {@link org.ckpt4j.spi.AsyncCommitter} commits in
 * the background. Failures are {@link org.ckpt4j.spi.CheckpointStoreException}s. {@link org.ckpt4j.spi.BlobNames}
 * states the blob name rules (R1.2), {@link org.ckpt4j.spi.Redaction} prints URIs without credentials.
 *
 * <p>The module has three more packages, for other audiences: {@link org.ckpt4j.spi.backend} (the SPI a storage
 * backend implements), {@code org.ckpt4j.spi.mem} (the reference in-memory store) and
 * {@code org.ckpt4j.spi.internal} (the protocol that implements the contract once for every backend; not
 * exported, its {@code package-info} maps its parts).
 */
package org.ckpt4j.spi;
