/**
 * The reference in-memory store: {@code mem:<name>} URIs ({@link org.ckpt4j.spi.mem.InMemoryStoreProvider}) over
 * {@link org.ckpt4j.spi.mem.InMemoryObjectStore}, the strict object store the TCK and the tests compare backends
 * against (it tracks every sink and channel left open). Exported to the TCK only; users open it by URI.
 */
package org.ckpt4j.spi.mem;
