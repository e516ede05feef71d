package org.ckpt4j.spi;

import java.util.regex.Pattern;

/**
 * Blob names (contract rule R1): relative, {@code /}-separated segments of {@code [A-Za-z0-9._-]}, no empty,
 * {@code .} or {@code ..} segment, 1 to 200 characters.
 */
public final class BlobNames {
  /** Longest allowed name. */
  public static final int MAX_LENGTH = 200;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  private BlobNames() {}

  /** Whether {@code name} is a valid blob name. */
  public static boolean isValid(String name) {
    return problem(name) == null;
  }

  /**
   * Returns {@code name} if valid.
   *
   * @throws IllegalArgumentException naming the blob and what is wrong with it
   */
  public static String validate(String name) {
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid blob name " + (name == null ? "null" : '"' + name + '"')
          + ": " + problem + " (use relative names of [A-Za-z0-9._-] segments separated by '/', e.g. "
          + "\"layer0/W.npy\")");
    }
    return name;
  }

  private static String problem(String name) {
    if (plain(name)) {
      return null;
    }
    if (name == null || name.isEmpty()) {
      return "empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "longer than " + MAX_LENGTH + " characters";
    }
    if (name.startsWith("/")) {
      return "absolute names are not allowed";
    }
    if (name.indexOf('\\') >= 0) {
      return "backslashes are not allowed";
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty()) {
        return "empty path segment";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "'" + segment + "' segments are not allowed";
      }
      if (!SEGMENT.matcher(segment).matches()) {
        return "segment \"" + segment + "\" has characters outside [A-Za-z0-9._-]";
      }
    }
    return null;
  }

  /**
   * The common case, checked in one pass (a restore validates every name of a commit record): allowed characters
   * only, no empty, {@code .} or {@code ..} segment. False leaves the verdict (and its message) to the full check.
   */
  private static boolean plain(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
      return false;
    }
    int segment = 0; // start of the current segment
    boolean dotsOnly = true;
    for (int k = 0; k <= name.length(); k++) {
      char c = k < name.length() ? name.charAt(k) : '/';
      if (c == '/') {
        int length = k - segment;
        if (length == 0 || (dotsOnly && length <= 2)) {
          return false;
        }
        segment = k + 1;
        dotsOnly = true;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-') {
        dotsOnly = false;
      } else if (c != '.') {
        return false;
      }
    }
    return true;
  }
}
