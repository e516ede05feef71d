package org.ckpt4j.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * {@code fit --workers N}: hands the command line to {@code org.ckpt4j.spark.MultiWorkerFit} of the optional
 * multi-worker part of the distribution ({@code lib/multiworker/}: ckpt4j-spark and Spark, ~230 MB), which
 * {@code bin/ckpt4j} puts on the class path for this command when it is installed. Without it, says which archive
 * to unpack where. Loaded by name: this module never depends on Spark.
 */
final class MultiWorker {
  static final String ENTRY_POINT = "org.ckpt4j.spark.MultiWorkerFit";

  private MultiWorker() {}

  /** Whether {@code args} ask for multi-worker training: {@code fit} with {@code --workers}. */
  static boolean requested(String[] args) {
    if (args.length == 0 || !args[0].equals("fit")) {
      return false;
    }
    for (String a : args) {
      if (a.equals("--workers") || a.startsWith("--workers=")) {
        return true;
      }
    }
    return false;
  }

  /** Runs the multi-worker fit; returns its exit code, or 2 naming the missing part. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    Method run;
    try {
      run = Class.forName(ENTRY_POINT).getMethod("run", String[].class, PrintStream.class, PrintStream.class);
    } catch (ClassNotFoundException | NoClassDefFoundError e) {
      err.println("error: fit --workers needs the multi-worker part of the distribution (Spark, ~230 MB), which is "
          + "not installed: unpack ckpt4j-multiworker-" + Main.version() + ".tar.gz into " + home()
          + " (tar -xzf ckpt4j-multiworker-" + Main.version() + ".tar.gz -C " + home() + "; it adds lib/multiworker/)."
          + " Build it with: mvn -B -pl spark -am package -DskipTests (spark/target/)");
      return Main.EXIT_USAGE;
    } catch (NoSuchMethodException e) {
      err.println("error: " + ENTRY_POINT + " on the class path has no run(String[], PrintStream, PrintStream): "
          + "lib/multiworker/ is of another version than this distribution (" + Main.version() + ")");
      return 1;
    }
    try {
      return (Integer) run.invoke(null, args, out, err);
    } catch (InvocationTargetException e) {
      err.println("error: " + e.getCause());
      return 1;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The distribution's directory, from the launcher's name ({@code <home>/bin/ckpt4j}), for the hint. */
  private static String home() {
    String launcher = System.getProperty("ckpt4j.command");
    if (launcher == null || launcher.isBlank()) {
      return "the distribution's directory";
    }
    Path home = Path.of(launcher).toAbsolutePath().getParent().getParent();
    return Main.shellQuote(home.toString());
  }
}
