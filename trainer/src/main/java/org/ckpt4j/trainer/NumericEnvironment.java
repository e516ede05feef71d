package org.ckpt4j.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What bit-exact resume depends on besides the checkpoint: thread count and BLAS kernel (only environment
 * variables read when ND4J's natives load control them), the backend and the CPU architecture. Recorded in every
 * checkpoint; a resume under a different one is warned about, because its results may differ in the last bits.
 */
final class NumericEnvironment {
  static final String[] VARIABLES = {"OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "SD_MAX_THREADS", "OPENBLAS_NUM_THREADS"};

  private NumericEnvironment() {}

  static Map<String, String> current() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String v : VARIABLES) {
      String value = System.getenv(v);
      env.put(v, value == null ? "(unset)" : value);
    }
    env.put("os.arch", System.getProperty("os.arch"));
    env.put("nd4j.backend", Nd4j.getBackend().getClass().getSimpleName());
    env.put("nd4j.blas", String.valueOf(Nd4j.factory().blas().getBlasVendor()));
    env.put("dtype", "float32");
    return env;
  }

  /** Whether this process runs with the settings bit-exact resume across processes needs. */
  static boolean pinned() {
    return System.getenv("OMP_NUM_THREADS") != null && System.getenv("OPENBLAS_CORETYPE") != null;
  }
}
