/**
 * The backend SPI, as {@code java.nio.file.spi} is to {@code java.nio.file}. A backend implements
 * {@link org.ckpt4j.spi.backend.ObjectStore} (a few object primitives) and extends
 * {@link org.ckpt4j.spi.backend.ObjectStoreProvider}, listed in
 * {@code META-INF/services/org.ckpt4j.spi.backend.CheckpointStoreProvider}; the store built on the objects honours
 * every rule of the contract. {@link org.ckpt4j.spi.backend.ForwardingObjectStore} is the base for decorators
 * (fault injection, counting, latency), {@link org.ckpt4j.spi.backend.BackendSettings} reads a backend's settings
 * from options, URI query, system properties and environment with each value's origin, and
 * {@link org.ckpt4j.spi.backend.Causes} writes error messages from cause chains. A backend proves itself with the
 * TCK ({@code ckpt4j-tck}).
 */
package org.ckpt4j.spi.backend;
