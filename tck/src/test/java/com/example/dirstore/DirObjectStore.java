package com.example.dirstore;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * An example third-party backend, as small as a backend can be: objects are files under a directory, written to
 * a temp file and then linked (create-if-absent) or moved (replace) into place. Not durable against power loss
 * (no fsync), so it declares only {@link Capability#CROSS_PROCESS}.
 */
final class DirObjectStore implements ObjectStore {
  private static final String TMP = ".tmp-";
  private final Path root;
  private final URI uri;

  DirObjectStore(Path root, URI uri) {
    this.root = root;
    this.uri = uri;
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.CROSS_PROCESS);
  }

  private Path path(String key) {
    return root.resolve(key);
  }

  private Path temp(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    return target.resolveSibling(TMP + UUID.randomUUID());
  }

  private IOException translate(IOException e) {
    return e instanceof NoSuchFileException ? e : new StoreAccessException(uri, StoreAccessException.Reason.OTHER,
        e.toString(), e);
  }

  @Override
  public ObjectSink create(String key) throws IOException {
    Path target = path(key);
    Path tmp = temp(target);
    FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new ObjectSink() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        return ch.write(src);
      }

      @Override
      public boolean isOpen() {
        return ch.isOpen();
      }

      @Override
      public void finish() throws IOException {
        ch.close();
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }

      @Override
      public void close() throws IOException {
        ch.close();
        Files.deleteIfExists(tmp);
      }
    };
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    Path target = path(key);
    for (int attempt = 1; ; attempt++) {
      Path tmp = temp(target);
      Files.write(tmp, content);
      try {
        Files.createLink(target, tmp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (NoSuchFileException e) {
        // Another store's open purged our temp file (racing opens of a fresh dir): write it again.
        if (attempt == 3) {
          throw translate(e);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    Path target = path(key);
    for (int attempt = 1; ; attempt++) {
      Path tmp = temp(target);
      Files.write(tmp, content);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return;
      } catch (NoSuchFileException e) {
        // purged by another store's open, as in putIfAbsent
        if (attempt == 3) {
          throw translate(e);
        }
      }
    }
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    try {
      return Optional.of(Files.readAllBytes(path(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw translate(e);
    }
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    try {
      return FileChannel.open(path(key), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(key);
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<String> keys = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(Files::isRegularFile).forEach(p -> {
        String key = root.relativize(p).toString().replace('\\', '/');
        if (key.startsWith(prefix) && !p.getFileName().toString().startsWith(TMP)) {
          keys.add(key);
        }
      });
    } catch (java.io.UncheckedIOException e) {
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw translate(e.getCause());
      }
      return list(prefix); // a file vanished while walking: list again
    }
    Collections.sort(keys);
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(path(key));
  }

  @Override
  public void purgeIncomplete(Predicate<String> ours) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().startsWith(TMP)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
