package org.ckpt4j.resume;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT during a fit with {@code saveBeforePreemption} (what Kubernetes, spot and preemptible VMs
 * send before killing; Ctrl-C): the first signal asks the fit to finish its batch, save and stop (the fit polls
 * {@link #requested()} after every batch); a second one aborts at once, releasing the backup dir first
 * ({@code abort}), and halts the JVM with 128 + the signal's number. The JVM's own handlers are replaced while
 * the fit runs and put back when it ends.
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module {@code jdk.unsupported}, present
 * in every JDK 17 and later); it is reached by reflection so that neither javac nor javadoc warns about it.
 */
final class Preemption {
  private static final Logger LOG = LoggerFactory.getLogger(Preemption.class);
  private static final Map<String, Integer> NUMBERS = Map.of("TERM", 15, "INT", 2);
  private final Runnable abort;
  private final Runnable beforeMessage;
  private final Map<Object, Object> previous = new LinkedHashMap<>(); // Signal -> its previous SignalHandler
  private volatile String requested;

  /**
   * @param abort what a second signal does before the JVM halts (release the backup dir)
   * @param beforeMessage run before this class logs a signal: ends a progress bar drawn in place, so that the
   *     message starts on a line of its own
   */
  Preemption(Runnable abort, Runnable beforeMessage) {
    this.abort = abort;
    this.beforeMessage = beforeMessage;
  }

  void install() {
    for (String name : NUMBERS.keySet()) {
      try {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        Object signal = signalClass.getConstructor(String.class).newInstance(name);
        Object handler = Proxy.newProxyInstance(Preemption.class.getClassLoader(), new Class<?>[] {handlerClass},
            (proxy, method, args) -> {
              if (method.getName().equals("handle")) {
                handle(name);
                return null;
              }
              return method.getName().equals("toString") ? "ckpt4j preemption handler"
                  : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : (Object) (proxy == args[0]);
            });
        previous.put(signal, handle(signal, handler));
      } catch (ReflectiveOperationException | RuntimeException e) { // reserved (-Xrs), or no such signal here
        LOG.warn("cannot handle SIG{}: a preemption will not save first ({})", name, cause(e));
      }
    }
  }

  void uninstall() {
    previous.forEach((signal, handler) -> {
      try {
        handle(signal, handler);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // it could be installed, so it can be put back; nothing more to do otherwise
      }
    });
    previous.clear();
  }

  private static Object handle(Object signal, Object handler) throws ReflectiveOperationException {
    Class<?> signalClass = Class.forName("sun.misc.Signal");
    Method m = signalClass.getMethod("handle", signalClass, Class.forName("sun.misc.SignalHandler"));
    try {
      return m.invoke(null, signal, handler);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause(); // e.g. IllegalArgumentException: the JVM reserves the signal
      }
      throw e;
    }
  }

  private static String cause(Exception e) {
    Throwable t = e instanceof InvocationTargetException ? e.getCause() : e;
    return String.valueOf(t);
  }

  /** The signal that asked the fit to stop, as {@code TERM} or {@code INT}; null if none. */
  String requested() {
    return requested;
  }

  /** The exit status a shell reports for the signal: 128 + its number (143 for TERM, 130 for INT). */
  static int exitStatus(String signal) {
    return 128 + NUMBERS.getOrDefault(signal, 0);
  }

  private void handle(String name) {
    beforeMessage.run();
    if (requested == null) {
      requested = name;
      LOG.warn("SIG{} received: finishing the current batch, saving and stopping (send it again to abort at once)",
          name);
      return;
    }
    LOG.warn("SIG{} received again: aborting now (the backup dir is released; the last save stays)", name);
    try {
      abort.run();
    } finally {
      Runtime.getRuntime().halt(exitStatus(name));
    }
  }
}
