package org.ckpt4j.trainer;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Keras-style progress: {@code Epoch 3/10} (epochs 1-based, as people count them), then
 * {@code 12/40 [=======>......] - ETA: 3s - loss: 0.1234} while the epoch runs and
 * {@code 40/40 [==============================] - 2s 5ms/step - loss: 0.1234 - backup saved} when it ends: time of
 * the epoch, time per step, and a mark when a backup was written during or at the end of it. On a terminal the
 * bar is redrawn in place about 30 times per epoch; otherwise (a pipe, a log) one line per epoch.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final int epochs;
  private final int steps;
  private final boolean interactive;
  private final int every;
  private long epochStart;
  private int firstBatch;
  private int saves;
  private volatile boolean open; // a bar is drawn without its line ended (read by a signal's thread too)
  private int drawn; // the length of the bar drawn in place: a shorter redraw blanks the rest of it

  ProgressBar(PrintStream out, int epochs, int steps) {
    this(out, epochs, steps, System.console() != null);
  }

  /** @param interactive whether to redraw the bar in place (a terminal) */
  ProgressBar(PrintStream out, int epochs, int steps, boolean interactive) {
    this.interactive = interactive;
    this.out = out;
    this.epochs = epochs;
    this.steps = steps;
    this.every = Math.max(1, steps / 30);
  }

  /** {@code epoch} 0-based; {@code batch} the batches already done in it (a mid-epoch resume). */
  void epochBegin(int epoch, int batch) {
    out.println("Epoch " + (epoch + 1) + "/" + epochs + (batch > 0 ? " (resumed after batch " + batch + ")" : ""));
    epochStart = System.nanoTime();
    firstBatch = batch;
    saves = 0;
  }

  synchronized void batchEnd(int done, Map<String, Double> logs) {
    if (interactive && (done % every == 0 || done == steps)) {
      out.print("\r" + padded(bar(done) + eta(done) + metrics(logs)));
      out.flush();
      open = true;
    }
  }

  /** A backup was written (counted into the epoch's line). */
  void saved() {
    saves++;
  }

  synchronized void epochEnd(Map<String, Double> logs) {
    long nanos = System.nanoTime() - epochStart;
    int ran = Math.max(1, steps - firstBatch);
    String timing = String.format(Locale.ROOT, " - %s %s/step", duration(nanos), perStep(nanos / ran));
    String mark = saves == 0 ? "" : saves == 1 ? " - backup saved" : " - " + saves + " backups saved";
    String line = bar(steps) + timing + metrics(logs) + mark;
    out.println(interactive ? "\r" + padded(line) : line);
    out.flush();
    open = false;
    drawn = 0;
  }

  /**
   * Ends a bar drawn in place, so that what is printed next (an interruption, a signal's message) starts on a line
   * of its own. Any thread: a signal's handler calls it while the training thread may redraw the bar.
   */
  synchronized void interrupted() {
    if (open) {
      out.println();
      open = false;
      drawn = 0;
    }
  }

  /** {@code line} followed by the blanks that overwrite the rest of a longer bar drawn before it on this line. */
  private String padded(String line) {
    String p = line.length() < drawn ? line + " ".repeat(drawn - line.length()) : line;
    drawn = line.length();
    return p;
  }

  private String eta(int done) {
    int ran = done - firstBatch;
    if (ran <= 0) {
      return "";
    }
    long perStep = (System.nanoTime() - epochStart) / ran;
    return " - ETA: " + duration(perStep * (steps - done));
  }

  private String bar(int done) {
    int filled = steps == 0 ? WIDTH : (int) ((long) WIDTH * done / steps);
    StringBuilder bar = new StringBuilder();
    bar.append(String.format(Locale.ROOT, "%" + String.valueOf(steps).length() + "d/%d [", done, steps));
    for (int k = 0; k < WIDTH; k++) {
      bar.append(k < filled ? '=' : k == filled ? '>' : '.');
    }
    return bar.append(']').toString();
  }

  private static String metrics(Map<String, Double> logs) {
    StringBuilder sb = new StringBuilder();
    logs.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
    return sb.toString();
  }

  /** {@code 3s}, {@code 2m05s}, {@code 1h02m} (rounded), as Keras prints durations. */
  static String duration(long nanos) {
    long s = Math.round(nanos / 1e9);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  /** {@code 5ms}, {@code 250us}, {@code 2s}. */
  static String perStep(long nanos) {
    if (nanos >= 1_000_000_000L) {
      return duration(nanos);
    }
    if (nanos >= 1_000_000L) {
      return Math.round(nanos / 1e6) + "ms";
    }
    return Math.round(nanos / 1e3) + "us";
  }
}
