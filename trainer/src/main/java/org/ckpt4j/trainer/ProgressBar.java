package org.ckpt4j.trainer;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Keras-style progress: {@code Epoch 3/10} then {@code 12/40 [=======>......] - loss: 0.1234}. On a terminal the
 * bar is redrawn in place about 30 times per epoch; otherwise (a pipe, a log) one line per epoch.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final int epochs;
  private final int steps;
  private final boolean interactive = System.console() != null;
  private final int every;

  ProgressBar(PrintStream out, int epochs, int steps) {
    this.out = out;
    this.epochs = epochs;
    this.steps = steps;
    this.every = Math.max(1, steps / 30);
  }

  void epochBegin(int epoch, int batch) {
    out.println("Epoch " + (epoch + 1) + "/" + epochs + (batch > 0 ? " (resumed at batch " + batch + ")" : ""));
  }

  void batchEnd(int done, Map<String, Double> logs) {
    if (interactive && (done % every == 0 || done == steps)) {
      out.print("\r" + line(done, logs));
      out.flush();
    }
  }

  void epochEnd(Map<String, Double> logs) {
    out.println((interactive ? "\r" : "") + line(steps, logs));
    out.flush();
  }

  private String line(int done, Map<String, Double> logs) {
    int filled = steps == 0 ? WIDTH : (int) ((long) WIDTH * done / steps);
    StringBuilder bar = new StringBuilder();
    bar.append(String.format(Locale.ROOT, "%" + String.valueOf(steps).length() + "d/%d [", done, steps));
    for (int k = 0; k < WIDTH; k++) {
      bar.append(k < filled ? '=' : k == filled ? '>' : '.');
    }
    bar.append(']');
    logs.forEach((k, v) -> bar.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
    return bar.toString();
  }
}
