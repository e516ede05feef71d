package org.ckpt4j.spi.backend;

import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.ckpt4j.spi.Redaction;

/**
 * Cause-chain helpers for backends that translate their SDK's exceptions into the SPI's typed errors: find a
 * cause by type, by simple class name (for types of an optional transport library that is not on the class
 * path at compile time) or by message, and summarize the root cause for a message. A cause seen before (a
 * cycle, which {@link Throwable#initCause} does not prevent beyond one link) ends the walk. Every text
 * returned passes through {@link Redaction#redact}.
 */
public final class Causes {
  /** Longest first line kept in a summary; SDK messages can carry whole response bodies. */
  static final int MAX_LINE = 300;

  private Causes() {}

  /**
   * {@code e} and its causes, outermost first, each once: a cause seen before ends the list.
   *
   * @return the chain, never empty for a non-null {@code e}
   */
  public static List<Throwable> chain(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  /**
   * The first exception in the chain of {@code e} (itself included) that is a {@code type}.
   *
   * @return that exception, or {@code null} if none is
   */
  public static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t : chain(e)) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  /** Whether some exception in the chain of {@code e} is a {@code type}. */
  public static boolean has(Throwable e, Class<? extends Throwable> type) {
    return find(e, type) != null;
  }

  /** Whether some exception in the chain is of a class, or extends one, with this simple name. */
  public static boolean hasNamed(Throwable e, String simpleName) {
    for (Throwable t : chain(e)) {
      for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
        if (c.getSimpleName().equals(simpleName)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the message of some exception in the chain contains {@code part} (lower case), in any case. */
  public static boolean hasMessage(Throwable e, String part) {
    for (Throwable t : chain(e)) {
      if (t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains(part)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The root cause for a message: its simple class name and the first line of its message ({@code
   * ConnectException: Connection refused}), redacted.
   */
  public static String rootMessage(Throwable e) {
    List<Throwable> chain = chain(e);
    Throwable t = chain.get(chain.size() - 1);
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + firstLine(t.getMessage()));
  }

  /** The first line of {@code s}, redacted, then cut at 300 characters. */
  public static String firstLine(String s) {
    int nl = s.indexOf('\n');
    String line = Redaction.redact(nl < 0 ? s : s.substring(0, nl));
    return line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line;
  }

  /**
   * The error for a call a thread interrupt ended: an {@link InterruptedIOException} with {@code cause}, after
   * setting the thread's interrupt flag again (the SDK may have cleared it).
   *
   * @param message what was interrupted, with the backup dir's URI
   */
  public static InterruptedIOException interrupted(String message, Throwable cause) {
    Thread.currentThread().interrupt();
    InterruptedIOException x = new InterruptedIOException(Redaction.redact(message));
    x.initCause(cause);
    return x;
  }
}
