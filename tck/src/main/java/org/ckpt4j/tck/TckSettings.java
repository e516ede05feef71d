package org.ckpt4j.tck;

import java.util.Map;

/**
 * The knobs of a run: system property {@code ckpt4j.tck.<name>} over the fixture's default over the kit's
 * default, times {@code ckpt4j.tck.scale} for trial counts.
 */
final class TckSettings {
  static final String PREFIX = "ckpt4j.tck.";

  final long seed;
  final boolean seedGiven;
  final int crashTrials;
  final int interruptionTrials;
  final int sequences;
  final int powerCuts;
  final int maxBlobBytes;

  TckSettings(Map<String, String> fixtureKnobs) {
    String s = System.getProperty(PREFIX + "seed");
    seedGiven = s != null && !s.isBlank();
    seed = seedGiven ? Long.parseLong(s.trim()) : new java.security.SecureRandom().nextLong();
    double scale = Double.parseDouble(System.getProperty(PREFIX + "scale", "1"));
    crashTrials = scaled("crashTrials", 25, fixtureKnobs, scale);
    interruptionTrials = scaled("interruptionTrials", 40, fixtureKnobs, scale);
    sequences = scaled("sequences", 20, fixtureKnobs, scale);
    powerCuts = scaled("powerCuts", 100, fixtureKnobs, scale);
    maxBlobBytes = knob("maxBlobBytes", 3 << 20, fixtureKnobs);
  }

  private static int scaled(String name, int dflt, Map<String, String> fixtureKnobs, double scale) {
    if (System.getProperty(PREFIX + name) != null) {
      return knob(name, dflt, fixtureKnobs);
    }
    return (int) Math.max(1, Math.round(knob(name, dflt, fixtureKnobs) * scale));
  }

  private static int knob(String name, int dflt, Map<String, String> fixtureKnobs) {
    String v = System.getProperty(PREFIX + name, fixtureKnobs.getOrDefault(name, Integer.toString(dflt)));
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + PREFIX + name + "=" + v + " must be a non-negative integer");
    }
  }

  @Override
  public String toString() {
    return "seed=" + seed + ", crashTrials=" + crashTrials + ", interruptionTrials=" + interruptionTrials
        + ", sequences=" + sequences + ", powerCuts=" + powerCuts + ", maxBlobBytes=" + maxBlobBytes;
  }
}
