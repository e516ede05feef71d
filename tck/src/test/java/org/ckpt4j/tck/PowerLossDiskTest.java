package org.ckpt4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/** The power-loss disk's model: what survives a cut is exactly what force and directory fsync made durable. */
class PowerLossDiskTest {

  private static void write(Path file, String text, boolean force) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(text.getBytes()));
      if (force) {
        ch.force(true);
      }
    }
  }

  private static void fsync(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  @Test
  void unsyncedEntryAndUnforcedDataAreLost_syncedOnesSurvive() throws IOException {
    try (PowerLossDisk disk = new PowerLossDisk()) {
      Path root = disk.boot();
      write(root.resolve("forced-synced"), "a", true);
      write(root.resolve("unforced-synced"), "b", false);
      fsync(root);
      write(root.resolve("forced-unsynced"), "c", true);
      write(root.resolve("forced-synced"), "changed, not forced", false);
      disk.cutPower();
      Path after = disk.boot();
      assertThat(Files.readString(after.resolve("forced-synced"))).isEqualTo("a");
      assertThat(Files.readString(after.resolve("unforced-synced"))).isEmpty();
      assertThat(after.resolve("forced-unsynced")).doesNotExist();
    }
  }

  @Test
  void renameAndDeleteRevertUntilTheDirectoryIsSynced_linksShareData() throws IOException {
    try (PowerLossDisk disk = new PowerLossDisk()) {
      Path root = disk.boot();
      Path dir = Files.createDirectory(root.resolve("d"));
      fsync(root);
      write(dir.resolve("tmp"), "record", true);
      write(dir.resolve("gone"), "old", true);
      fsync(dir);
      Files.createLink(dir.resolve("linked"), dir.resolve("tmp"));
      Files.move(dir.resolve("tmp"), dir.resolve("renamed"), StandardCopyOption.ATOMIC_MOVE);
      Files.delete(dir.resolve("gone"));
      disk.cutPower();
      Path d = disk.boot().resolve("d");
      assertThat(Files.readString(d.resolve("tmp"))).isEqualTo("record");
      assertThat(Files.readString(d.resolve("gone"))).isEqualTo("old");
      assertThat(d.resolve("linked")).doesNotExist();
      assertThat(d.resolve("renamed")).doesNotExist();
      Files.createLink(d.resolve("linked"), d.resolve("tmp"));
      fsync(d);
      disk.cutPower();
      Path again = disk.boot().resolve("d");
      assertThat(Files.readString(again.resolve("linked"))).isEqualTo("record");
      assertThat(Files.isSameFile(again.resolve("linked"), again.resolve("tmp"))).isTrue();
    }
  }

  @Test
  void armedCutFiresBeforeTheOperation_andTheOldBootIsDeadForGood() throws IOException {
    try (PowerLossDisk disk = new PowerLossDisk()) {
      Path root = disk.boot();
      fsync(root); // makes nothing new durable, but is an operation
      disk.armPowerCut(2);
      Files.createDirectory(root.resolve("first"));
      assertThatThrownBy(() -> Files.createDirectory(root.resolve("second")))
          .isInstanceOf(PowerLossDisk.PowerCutException.class).hasMessageContaining("op #2: mkdir /second");
      assertThat(disk.isDown()).isTrue();
      assertThatThrownBy(() -> Files.readAttributes(root.resolve("first"),
          java.nio.file.attribute.BasicFileAttributes.class)).isInstanceOf(PowerLossDisk.PowerCutException.class);
      Path after = disk.boot();
      assertThat(Files.list(after)).isEmpty();
      assertThatThrownBy(() -> Files.createDirectory(root.resolve("x")))
          .isInstanceOf(PowerLossDisk.PowerCutException.class);
    }
  }

  @Test
  void processCrashKeepsEverything_andUrisResolveToTheRunningBoot() throws IOException {
    try (PowerLossDisk disk = new PowerLossDisk()) {
      Path root = disk.boot();
      write(root.resolve("unsynced"), "kept by the OS", false);
      disk.crashProcess();
      Path after = disk.boot();
      assertThat(Files.readString(after.resolve("unsynced"))).isEqualTo("kept by the OS");
      URI uri = after.resolve("unsynced").toUri();
      assertThat(uri.getScheme()).isEqualTo("ckpt4j-powerloss");
      assertThat(Path.of(uri)).isEqualTo(after.resolve("unsynced"));
    }
  }
}
