package org.ckpt4j.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The benchmark's result table: each measurement, its peer or limit beside it, the ratio and the target. */
final class Report {
  private record Row(String name, String unit, Stats ours, String peerName, Stats peer, boolean higherIsBetter,
      double target) {}

  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  /** A row comparing {@code ours} with {@code peer}; the ratio is of medians, oriented so that > 1 is better. */
  void compare(String name, String unit, Stats ours, String peerName, Stats peer, boolean higherIsBetter,
      double target) {
    rows.add(new Row(name, unit, ours, peerName, peer, higherIsBetter, target));
  }

  void note(String note) {
    notes.add(note);
  }

  void print(PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "%-44s %-26s %-30s %-26s %8s %8s %s%n", "measurement", "ckpt4j min/med/max", "peer / limit",
        "peer min/med/max", "ratio", "target", "");
    for (Row r : rows) {
      double ratio = r.higherIsBetter ? r.ours.median() / r.peer.median() : r.peer.median() / r.ours.median();
      String verdict = Double.isNaN(r.target) ? "" : ratio >= r.target ? "met" : "NOT MET";
      out.printf(Locale.ROOT, "%-44s %-26s %-30s %-26s %7.2fx %7s %s%n", r.name,
          r.ours.summary(fmt(r.ours)) + " " + r.unit, r.peerName, r.peer.summary(fmt(r.peer)) + " " + r.unit, ratio,
          Double.isNaN(r.target) ? "-" : String.format(Locale.ROOT, "%.2fx", r.target), verdict);
    }
    for (String n : notes) {
      out.println("  " + n);
    }
  }

  private static String fmt(Stats s) {
    return s.median() >= 100 ? "%.0f" : s.median() >= 1 ? "%.2f" : "%.4f";
  }
}
