package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.ckpt4j.resume.TrainingManifest;
import org.junit.jupiter.api.Test;

class NumericEnvironmentTest {

  @Test
  void theTestJvmRunsWithPinnedNumerics_andTheyAreRecorded() {
    Map<String, String> env = NumericEnvironment.current();
    assertThat(NumericEnvironment.pinned()).as("surefire sets OMP_NUM_THREADS and OPENBLAS_CORETYPE").isTrue();
    assertThat(env).containsEntry("OMP_NUM_THREADS", "1").containsEntry("OPENBLAS_CORETYPE", "Haswell")
        .containsKeys("os.arch", "nd4j.backend", "nd4j.blas", "dtype");
  }

  @Test
  void differencesNameEachChangedSetting() {
    Map<String, String> stored = new LinkedHashMap<>(NumericEnvironment.current());
    stored.put("OMP_NUM_THREADS", "(unset)");
    stored.put("OPENBLAS_CORETYPE", "SkylakeX");
    assertThat(TrainingManifest.environmentDifferences(stored, NumericEnvironment.current())).containsExactly(
        "OMP_NUM_THREADS: stored (unset), now 1", "OPENBLAS_CORETYPE: stored SkylakeX, now Haswell");
    assertThat(TrainingManifest.environmentDifferences(NumericEnvironment.current(), NumericEnvironment.current())).isEmpty();
  }
}
