package org.ckpt4j.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the HTTP requests every AWS SDK client in this JVM sends (retries included), by operation. Registered
 * as an SDK global interceptor through {@code software/amazon/awssdk/global/handlers/execution.interceptors}.
 */
public final class RequestCounter implements ExecutionInterceptor {
  private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

  /** Only for use by the AWS SDK. */
  public RequestCounter() {}

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    COUNTS.computeIfAbsent(op == null ? "?" : op, k -> new AtomicLong()).incrementAndGet();
  }

  static void reset() {
    COUNTS.clear();
  }

  static Map<String, Long> snapshot() {
    Map<String, Long> m = new TreeMap<>();
    COUNTS.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  static long total() {
    return COUNTS.values().stream().mapToLong(AtomicLong::get).sum();
  }
}
