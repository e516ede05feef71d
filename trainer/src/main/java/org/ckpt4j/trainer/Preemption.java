package org.ckpt4j.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT during a fit with {@code saveBeforePreemption} (what Kubernetes, spot and preemptible VMs
 * send before killing; Ctrl-C): the first signal asks the fit to finish its batch, save and stop (the fit polls
 * {@link #requested()} after every batch); a second one aborts at once, releasing the backup dir first
 * ({@code abort}), and halts the JVM with 128 + the signal's number. The JVM's own handlers are replaced while
 * the fit runs and put back when it ends.
 */
final class Preemption {
  private static final Logger LOG = LoggerFactory.getLogger(Preemption.class);
  private final Runnable abort;
  private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
  private volatile Signal requested;

  Preemption(Runnable abort) {
    this.abort = abort;
  }

  void install() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal s = new Signal(name);
        previous.put(s, Signal.handle(s, this::handle));
      } catch (IllegalArgumentException e) { // the JVM reserves it (-Xrs) or the OS lacks it
        LOG.warn("cannot handle SIG{}: a preemption will not save first ({})", name, e.getMessage());
      }
    }
  }

  void uninstall() {
    previous.forEach((s, h) -> {
      try {
        Signal.handle(s, h);
      } catch (IllegalArgumentException e) {
        // it could be installed, so it can be put back; nothing to do otherwise
      }
    });
    previous.clear();
  }

  /** The signal that asked the fit to stop, as {@code TERM} or {@code INT}; null if none. */
  String requested() {
    Signal s = requested;
    return s == null ? null : s.getName();
  }

  /** The exit status a shell reports for the signal: 128 + its number. */
  static int exitStatus(String signal) {
    return 128 + new Signal(signal).getNumber();
  }

  private void handle(Signal s) {
    if (requested == null) {
      requested = s;
      LOG.warn("SIG{} received: finishing the current batch, saving and stopping (send it again to abort at once)",
          s.getName());
      return;
    }
    LOG.warn("SIG{} received again: aborting now (the backup dir is released; the last save stays)", s.getName());
    try {
      abort.run();
    } finally {
      Runtime.getRuntime().halt(128 + s.getNumber());
    }
  }
}
