package org.ckpt4j.tck;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;
import org.opentest4j.TestAbortedException;

/**
 * Prints the run's summary after the test class: rules passed, failed and skipped (with reasons) and trials run,
 * on standard output and into {@code target/ckpt4j-tck/<class>.txt} (directory: {@code ckpt4j.tck.reportDir}).
 */
final class TckSummary implements TestWatcher, AfterAllCallback, TestExecutionExceptionHandler {
  private final Map<String, String> outcomes = new TreeMap<>();
  private final List<String> notes = new CopyOnWriteArrayList<>();

  /**
   * Every failure names its rule and ends with the reproduce-with-seed line, also one that surfaces as an
   * exception from the store or from a helper's assertion: such a failure is rethrown as an
   * {@link AssertionError} saying what was observed, with the original as its cause.
   */
  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable t) throws Throwable {
    Kit kit = context.getTestInstance().map(i -> ((CheckpointStoreTck) i).kitOrNull()).orElse(null);
    if (t instanceof TestAbortedException || kit == null) {
      throw t;
    }
    String reproduce = kit.reproduce();
    String message = t.getMessage();
    if (t instanceof AssertionError && message != null && message.contains(reproduce)) {
      throw t;
    }
    String rule = rule(context.getRequiredTestMethod().getName());
    String observed = t instanceof AssertionError && message != null ? message
        : "the test ended with " + t.getClass().getName() + (message == null ? " (no message)" : ": " + message);
    AssertionError wrapped = new AssertionError((observed.startsWith(rule) ? "" : rule + ": ") + observed + "; "
        + reproduce, t);
    throw wrapped;
  }

  /** The rule id in a test name: {@code required_R4_5_x} -> {@code R4.5}; else the name. */
  static String rule(String testName) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("_(R\\d+(?:_\\d+)?)_").matcher(testName);
    return m.find() ? m.group(1).replace('_', '.') : testName;
  }

  @Override
  public void testSuccessful(ExtensionContext context) {
    record(context, "passed");
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    record(context, "FAILED: " + firstLine(cause));
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    record(context, "skipped: " + firstLine(cause).replaceFirst("^Assumption failed: ", ""));
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {
    record(context, "skipped: " + reason.orElse("disabled"));
  }

  private synchronized void record(ExtensionContext context, String outcome) {
    outcomes.put(context.getRequiredTestMethod().getName(), outcome);
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    m = nl < 0 ? m : m.substring(0, nl);
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    Kit kit = context.getTestInstance().map(i -> ((CheckpointStoreTck) i).kitOrNull()).orElse(null);
    String name = context.getRequiredTestClass().getName();
    StringBuilder b = new StringBuilder();
    long passed = outcomes.values().stream().filter(o -> o.equals("passed")).count();
    long failed = outcomes.values().stream().filter(o -> o.startsWith("FAILED")).count();
    long skipped = outcomes.values().stream().filter(o -> o.startsWith("skipped")).count();
    b.append("=== ckpt4j TCK summary: ").append(name).append(" ===\n");
    b.append("rules: ").append(passed).append(" passed, ").append(failed).append(" failed, ").append(skipped)
        .append(" skipped").append(failed == 0 ? (passed > 0 ? "  -> CERTIFIED for the rules run" : "")
            : "  -> NOT certified").append('\n');
    if (kit != null) {
      b.append("trials: ").append(kit.crashTrials.get()).append(" SIGKILL crashes, ")
          .append(kit.interruptionTrials.get()).append(" randomized interruptions, ").append(kit.faultTrials.get())
          .append(" injected faults (fired; ").append(kit.unfiredFaults.get()).append(" armed never fired), ")
          .append(kit.sequences.get()).append(" model-based sequences, ").append(kit.powerCuts.get())
          .append(" simulated power cuts, ").append(kit.processCrashes.get()).append(" simulated writer crashes\n");
      b.append("settings: ").append(kit.settings).append(" (reproduce with -D").append(TckSettings.PREFIX)
          .append("seed=").append(kit.settings.seed).append(")\n");
      try {
        b.append("capabilities: ").append(kit.capabilities()).append('\n');
      } catch (IOException | RuntimeException e) {
        b.append("capabilities: unknown (").append(e).append(")\n");
      }
    }
    outcomes.forEach((test, outcome) -> b.append(String.format("  %-72s %s%n", test, outcome)));
    notes.forEach(n -> b.append("  note: ").append(n).append('\n'));
    String text = b.toString();
    PrintStream out = System.out;
    out.print(text);
    out.flush();
    try {
      Path dir = Path.of(System.getProperty(TckSettings.PREFIX + "reportDir", "target/ckpt4j-tck"));
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(name + ".txt"), text, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      out.println("(could not write the TCK summary file: " + e + ")");
    }
  }
}
