package org.ckpt4j.resume;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of checkpoint manifests and callback state (public for tools and tests that read or craft a
 * manifest): objects (insertion order kept), arrays, strings, whole
 * numbers ({@code Long}), finite decimals ({@code Double}, written with {@link Double#toString(double)} so they
 * read back bit for bit), booleans and null. Parsing builds plain maps and lists; it never evaluates anything.
 */
public final class JsonCodec {
  /**
   * The deepest nesting of objects and arrays {@link #parse} accepts: it recurses once per level, so a crafted
   * document must not be able to exhaust the stack (StackOverflowError). Manifests nest 3 deep; callback state
   * may nest its values further.
   */
  static final int MAX_DEPTH = 64;
  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
  private final String s;
  private int i;
  private int depth;

  private JsonCodec(String s) {
    this.s = s;
  }

  /**
   * A value that is already JSON text, written as is: for parts of a manifest that repeat from save to save,
   * encoded once (an async save's stall). Parsing never produces one.
   */
  static final class Raw {
    final String json;

    Raw(Object value) {
      this.json = write(value);
    }
  }

  public static byte[] bytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, false);
    return sb.toString();
  }

  /**
   * The JSON of a manifest as a person reads it: every object's members on lines of their own, indented two
   * spaces per level; lists (shapes) and {@link Raw} values on one line. Parses back to what {@link #write} does.
   */
  public static byte[] prettyBytes(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, true);
    return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(StringBuilder sb, Object v, int depth) {
    write(sb, v, depth, false);
  }

  private static void write(StringBuilder sb, Object v, int depth, boolean pretty) {
    if ((v instanceof Map || v instanceof List) && depth >= MAX_DEPTH) {
      throw new IllegalArgumentException("JSON data nested deeper than " + MAX_DEPTH + " levels");
    }
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String) {
      writeString(sb, (String) v);
    } else if (v instanceof Raw) {
      sb.append(((Raw) v).json);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      sb.append(((Number) v).longValue());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("JSON cannot hold the non-finite number " + d);
      }
      sb.append(Double.toString(d));
    } else if (v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
        }
        sb.append(first ? "" : ",");
        if (pretty) {
          sb.append('\n').append("  ".repeat(depth + 1));
        }
        first = false;
        writeString(sb, (String) e.getKey());
        sb.append(pretty ? ": " : ":");
        write(sb, e.getValue(), depth + 1, pretty);
      }
      if (pretty && !first) {
        sb.append('\n').append("  ".repeat(depth));
      }
      sb.append('}');
    } else if (v instanceof List) {
      sb.append('[');
      boolean first = true;
      for (Object o : (List<?>) v) {
        sb.append(first ? "" : ",");
        first = false;
        write(sb, o, depth + 1);
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("not JSON data: " + v.getClass().getName()
          + " (use strings, numbers, booleans, null, lists and maps)");
    }
  }

  private static void writeString(StringBuilder sb, String str) {
    sb.append('"');
    int plain = 0; // the characters from here to k need no escape: appended in one go (an async save's stall)
    for (int k = 0; k < str.length(); k++) {
      char c = str.charAt(k);
      if (c != '"' && c != '\\' && c >= 0x20) {
        continue;
      }
      sb.append(str, plain, k);
      plain = k + 1;
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default: sb.append(String.format("\\u%04x", (int) c));
      }
    }
    sb.append(str, plain, str.length());
    sb.append('"');
  }

  public static Object parse(byte[] utf8) {
    return parse(new String(utf8, StandardCharsets.UTF_8));
  }

  public static Object parse(String text) {
    JsonCodec p = new JsonCodec(text);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  private Object value() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{': case '[':
        if (++depth > MAX_DEPTH) {
          throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
        Object nested = c == '{' ? object() : array();
        depth--;
        return nested;
      case '"': return string();
      case 't': return literal("true", Boolean.TRUE);
      case 'f': return literal("false", Boolean.FALSE);
      case 'n': return literal("null", null);
      default: return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (peek('}')) {
      i++;
      return m;
    }
    while (true) {
      ws();
      if (!peek('"')) {
        throw error("expected a string key");
      }
      String k = string();
      ws();
      expect(':');
      ws();
      if (m.put(k, value()) != null) {
        throw error("duplicate key " + k);
      }
      ws();
      if (peek(',')) {
        i++;
      } else {
        expect('}');
        return m;
      }
    }
  }

  private List<Object> array() {
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (peek(']')) {
      i++;
      return l;
    }
    while (true) {
      ws();
      l.add(value());
      ws();
      if (peek(',')) {
        i++;
      } else {
        expect(']');
        return l;
      }
    }
  }

  private String string() {
    StringBuilder sb = new StringBuilder();
    i++;
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (i >= s.length()) {
        break;
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"': case '\\': case '/': sb.append(e); break;
        case 'n': sb.append('\n'); break;
        case 'r': sb.append('\r'); break;
        case 't': sb.append('\t'); break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'u':
          if (i + 4 > s.length() || !s.substring(i, i + 4).matches("[0-9A-Fa-f]{4}")) {
            throw error("bad \\u escape");
          }
          sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
          break;
        default: throw error("bad escape \\" + e);
      }
    }
    throw error("unterminated string");
  }

  private Object number() {
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    String n = s.substring(start, i);
    if (n.isEmpty()) {
      throw error("unexpected character '" + s.charAt(i) + "'");
    }
    if (!NUMBER.matcher(n).matches()) {
      throw error("bad number " + abbreviate(n));
    }
    try {
      if (n.indexOf('.') >= 0 || n.indexOf('e') >= 0 || n.indexOf('E') >= 0) {
        double d = Double.parseDouble(n);
        if (!Double.isFinite(d)) {
          throw error("number " + abbreviate(n) + " is out of range");
        }
        return d;
      }
      return Long.parseLong(n);
    } catch (NumberFormatException e) {
      throw error("number " + abbreviate(n) + " is out of range");
    }
  }

  private static String abbreviate(String t) {
    return t.length() <= 40 ? t : t.substring(0, 40) + "...";
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw error("unexpected token");
    }
    i += word.length();
    return v;
  }

  private boolean peek(char c) {
    return i < s.length() && s.charAt(i) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("expected '" + c + "'");
    }
    i++;
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
  }
}
