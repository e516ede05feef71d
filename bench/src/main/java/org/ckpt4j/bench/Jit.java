package org.ckpt4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/** How long the JIT compiler has run in this JVM (summed over its threads), to report beside measurements. */
final class Jit {
  private static final CompilationMXBean BEAN = ManagementFactory.getCompilationMXBean();

  private Jit() {}

  /** Milliseconds of compilation so far, or -1 where the JVM does not report it. */
  static long millis() {
    return BEAN != null && BEAN.isCompilationTimeMonitoringSupported() ? BEAN.getTotalCompilationTime() : -1;
  }
}
