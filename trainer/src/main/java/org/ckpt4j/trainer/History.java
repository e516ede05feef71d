package org.ckpt4j.trainer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Sequential#fit} returns: the epochs this call ran (0-based) and each one's logs ({@code loss},
 * and {@code accuracy} for categorical losses). A resumed fit lists only the epochs it ran, with the values an
 * uninterrupted run has for them, bit for bit.
 */
public final class History {
  private final List<Integer> epochs = new ArrayList<>();
  private final Map<String, List<Double>> metrics = new LinkedHashMap<>();

  History() {}

  void add(int epoch, Map<String, Double> logs) {
    epochs.add(epoch);
    for (Map.Entry<String, Double> e : logs.entrySet()) {
      metrics.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
  }

  /** The epochs this fit ran, in order. */
  public List<Integer> epochs() {
    return Collections.unmodifiableList(epochs);
  }

  /** The loss of each epoch in {@link #epochs()}. */
  public List<Double> loss() {
    return metric("loss");
  }

  /** The values of a metric per epoch, or an empty list if not recorded. */
  public List<Double> metric(String name) {
    return Collections.unmodifiableList(metrics.getOrDefault(name, List.of()));
  }

  /** Metric name to per-epoch values (Keras's {@code history.history}). */
  public Map<String, List<Double>> asMap() {
    Map<String, List<Double>> m = new LinkedHashMap<>();
    metrics.forEach((k, v) -> m.put(k, List.copyOf(v)));
    return m;
  }

  @Override
  public String toString() {
    return "History{epochs=" + epochs + ", " + metrics + "}";
  }
}
