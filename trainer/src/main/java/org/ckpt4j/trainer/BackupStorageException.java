package org.ckpt4j.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A storage failure of {@link BackupAndRestore} during {@link Sequential#fit(org.nd4j.linalg.api.ndarray.INDArray,
 * org.nd4j.linalg.api.ndarray.INDArray, FitOptions)}: unchecked, with the typed storage exception as its cause
 * ({@link org.ckpt4j.spi.CorruptCheckpointException}, {@link org.ckpt4j.spi.SharedBackupDirException},
 * {@link org.ckpt4j.resume.RunMismatchException}, ...; see {@link org.ckpt4j.spi.CheckpointStoreException}).
 */
public final class BackupStorageException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  BackupStorageException(IOException cause) {
    super(cause.getMessage(), cause);
  }
}
