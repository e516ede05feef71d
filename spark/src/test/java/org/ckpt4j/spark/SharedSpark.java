package org.ckpt4j.spark;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * One embedded {@code local[2]} SparkContext per test JVM (starting one costs 3-9 s), bound to 127.0.0.1 with the
 * UI off; Surefire also sets {@code SPARK_LOCAL_IP=127.0.0.1}. Stopped when the JVM exits.
 */
final class SharedSpark {
  static final int MAX_ATTEMPTS = 3;
  private static JavaSparkContext context;

  private SharedSpark() {}

  static synchronized JavaSparkContext context() {
    if (context == null) {
      context = new JavaSparkContext(SparkTraining.embeddedConf(2, MAX_ATTEMPTS));
      context.setLogLevel("WARN");
      JavaSparkContext c = context;
      Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
    }
    return context;
  }
}
