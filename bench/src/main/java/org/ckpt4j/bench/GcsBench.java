package org.ckpt4j.bench;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.transfermanager.DownloadResult;
import com.google.cloud.storage.transfermanager.ParallelDownloadConfig;
import com.google.cloud.storage.transfermanager.ParallelUploadConfig;
import com.google.cloud.storage.transfermanager.TransferManager;
import com.google.cloud.storage.transfermanager.TransferManagerConfig;
import com.google.cloud.storage.transfermanager.TransferStatus;
import com.google.cloud.storage.transfermanager.UploadResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;

/**
 * ckpt4j's GCS backend against the google-cloud-storage client's own best transfer of the same bytes: its
 * {@code TransferManager} (parallel uploads of files, parallel downloads into a directory), both against the
 * project's GCS JSON-API test server on loopback, in this JVM. The peer's files are written before its timer
 * starts (they are in the page cache, as ckpt4j's tensors are in memory); its downloads land in files.
 */
final class GcsBench {
  private static final double MIB = 1 << 20;

  private GcsBench() {}

  static void run(Path dir, int repeats, int blobs, long blobBytes, Report report) throws Exception {
    String label = blobs + "x" + (blobBytes >= 1 << 20 ? (blobBytes >> 20) + "MiB" : (blobBytes >> 10) + "KiB");
    List<ByteBuffer> tensors = LocalBench.tensors(new LocalBench.Shape(label, blobs, blobBytes));
    List<ByteBuffer> into = new ArrayList<>();
    for (ByteBuffer t : tensors) {
      into.add(ByteBuffer.allocateDirect(t.capacity()));
    }
    Path src = Files.createDirectories(dir.resolve("gcs-src"));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < blobs; i++) {
      Path f = src.resolve("t" + i + ".bin");
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        LocalBench.writeFully(ch, tensors.get(i).duplicate());
      }
      files.add(f);
    }
    long total = blobs * blobBytes;
    Stats up = new Stats();
    Stats down = new Stats();
    Stats save = new Stats();
    Stats restore = new Stats();
    try (GcsTestServer server = GcsTestServer.start()) {
      server.createBucket("bench");
      StorageOptions storageOptions = StorageOptions.http().setHost(server.host()).setProjectId("bench")
          .setCredentials(NoCredentials.getInstance()).build();
      StoreOptions options = StoreOptions.forOwner("bench-gcs").property("gs.host", server.host())
          .property("gs.credentials", "none").property("gs.project", "bench").build();
      try (TransferManager tm = TransferManagerConfig.newBuilder().setStorageOptions(storageOptions).build()
          .getService();
          CheckpointStore store = CheckpointStores.open("gs://bench/ckpt4j", options)) {
        for (int r = 0; r <= repeats; r++) {
          boolean warmup = r == 0;
          Path dst = dir.resolve("gcs-dst");
          deleteTree(dst);
          Files.createDirectories(dst);
          double tUp = upload(tm, files, src);
          double tSave = GrowthBench.saveMillis(store, tensors) / 1000;
          double tDown = download(tm, files, src, dst);
          double tRead = LocalBench.timeRestore(store, into);
          if (!warmup) {
            up.add(total / MIB / tUp);
            save.add(total / MIB / tSave);
            down.add(total / MIB / tDown);
            restore.add(total / MIB / tRead);
          }
          System.err.printf("  gcs %s repeat %d/%d: save %.0f MiB/s (TransferManager %.0f), restore %.0f MiB/s "
              + "(TransferManager %.0f)%s%n", label, r, repeats, total / MIB / tSave, total / MIB / tUp,
              total / MIB / tRead, total / MIB / tDown, warmup ? " (warm-up, not counted)" : "");
        }
        store.delete();
      }
    } finally {
      deleteTree(src);
      deleteTree(dir.resolve("gcs-dst"));
    }
    report.compare("GCS save " + label, "MiB/s", save, "TransferManager.uploadFiles", up, true, 1.0);
    report.compare("GCS restore " + label, "MiB/s", restore, "TransferManager.downloadBlobs", down, true, 1.0);
  }

  private static double upload(TransferManager tm, List<Path> files, Path src) throws Exception {
    ParallelUploadConfig config = ParallelUploadConfig.newBuilder().setBucketName("bench")
        .setPrefix("peer/").build();
    long t0 = System.nanoTime();
    List<UploadResult> results = tm.uploadFiles(files, config).getUploadResults();
    double seconds = (System.nanoTime() - t0) / 1e9;
    for (UploadResult u : results) {
      if (u.getStatus() != TransferStatus.SUCCESS) {
        throw new IOException("TransferManager upload failed: " + u.getStatus() + " " + u.getException());
      }
    }
    return seconds;
  }

  private static double download(TransferManager tm, List<Path> files, Path src, Path dst) throws Exception {
    List<BlobInfo> blobs = new ArrayList<>();
    for (Path f : files) {
      // uploadFiles names each object prefix + the file's path as given (absolute)
      blobs.add(BlobInfo.newBuilder("bench", "peer/" + f.toString()).build());
    }
    ParallelDownloadConfig config = ParallelDownloadConfig.newBuilder().setBucketName("bench")
        .setDownloadDirectory(dst).build();
    long t0 = System.nanoTime();
    List<DownloadResult> results = tm.downloadBlobs(blobs, config).getDownloadResults();
    double seconds = (System.nanoTime() - t0) / 1e9;
    for (DownloadResult d : results) {
      if (d.getStatus() != TransferStatus.SUCCESS) {
        throw new IOException("TransferManager download failed: " + d.getStatus() + " " + d.getException());
      }
    }
    return seconds;
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
