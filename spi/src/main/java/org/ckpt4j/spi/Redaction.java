package org.ckpt4j.spi;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way ckpt4j prints a URI (or a text that may contain one) in an exception message, a {@code toString}
 * or a log line: credentials are replaced by {@code ***}.
 *
 * <p>Two parts of a URI are redacted, wherever a URI occurs in the text:
 *
 * <ul>
 *   <li>the user info of {@code scheme://userinfo@host...}, whole ({@code s3://***@bucket/p}), key-only user
 *       info included. A secret may contain {@code /} (as about half of AWS secret access keys do): when the
 *       first segment after {@code //} contains a {@code :}, everything up to the last {@code @} before the
 *       query is taken as user info. This may redact more than the user info of an endpoint such as {@code
 *       http://host:9000/a@b}, never less;
 *   <li>the values of query parameters whose names contain {@code token}, {@code secret}, {@code key}, {@code
 *       password}, {@code passwd}, {@code credential}, {@code signature} or {@code sig}, in any case ({@code
 *       ?X-Amz-Signature=***}).
 * </ul>
 *
 * <p>Ordinary paths are left alone: {@code file:///tmp/a@b} and {@code s3://bucket/x@y} print as they are. The
 * functions never throw, also not on malformed input; {@code null} prints as {@code "null"}.
 */
public final class Redaction {
  /** What replaces a credential. */
  static final String MASK = "***";

  /** Characters that end a URI inside free text. */
  private static final String TOKEN_END = "\"'<>`";

  private static final Pattern SECRET_PARAMETER =
      Pattern.compile(
          "([?&;][^=&?#\\s\"'<>`]*?(?:token|secret|key|password|passwd|credential|signature|sig)"
              + "[^=&?#\\s\"'<>`]*=)[^&#\\s\"'<>`]*",
          Pattern.CASE_INSENSITIVE);

  private Redaction() {}

  /**
   * Returns {@code text} with the credentials of every URI-like occurrence replaced by {@code ***}.
   *
   * @param text free text, such as an exception message; may be {@code null}
   * @return the redacted text, {@code "null"} for {@code null}
   */
  public static String redact(String text) {
    if (text == null) {
      return "null";
    }
    try {
      return redactParameters(redactUserInfo(text));
    } catch (RuntimeException e) {
      return MASK; // not expected; never let a message expose what could not be parsed
    }
  }

  /**
   * Returns the URI's string form with its credentials replaced by {@code ***}.
   *
   * @param uri a URI; may be {@code null}
   * @return the redacted URI, {@code "null"} for {@code null}
   */
  public static String redact(URI uri) {
    return uri == null ? "null" : redact(uri.toString());
  }

  private static String redactUserInfo(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    int slashes;
    while ((slashes = text.indexOf("://", from)) >= 0) {
      int start = slashes + 3;
      out.append(text, from, start);
      int partEnd = start;
      while (partEnd < text.length() && !endsAuthorityPart(text.charAt(partEnd))) {
        partEnd++;
      }
      int segmentEnd = indexOf(text, '/', start, partEnd);
      int at = lastIndexOf(text, '@', start, segmentEnd);
      if (at < 0 && indexOf(text, ':', start, segmentEnd) < segmentEnd) {
        at = lastIndexOf(text, '@', segmentEnd, partEnd); // a secret with '/' in it
      }
      if (at >= 0) {
        out.append(MASK);
        from = at;
      } else {
        from = start;
      }
    }
    return out.append(text, from, text.length()).toString();
  }

  private static boolean endsAuthorityPart(char c) {
    return c == '?' || c == '#' || Character.isWhitespace(c) || TOKEN_END.indexOf(c) >= 0;
  }

  /** The index of {@code c} in {@code [from, to)}, else {@code to}. */
  private static int indexOf(String s, char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == c) {
        return i;
      }
    }
    return to;
  }

  /** The last index of {@code c} in {@code [from, to)}, else -1. */
  private static int lastIndexOf(String s, char c, int from, int to) {
    for (int i = to - 1; i >= from; i--) {
      if (s.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  private static String redactParameters(String text) {
    Matcher m = SECRET_PARAMETER.matcher(text);
    return m.find() ? m.replaceAll("$1" + Matcher.quoteReplacement(MASK)) : text;
  }
}
