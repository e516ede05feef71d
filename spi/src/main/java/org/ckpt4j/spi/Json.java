package org.ckpt4j.spi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Canonical JSON for the store's own records: objects with sorted keys, no white space, strings, whole numbers
 * ({@code long}), booleans, null and arrays. {@code parse(write(x))} equals {@code x} and writing is
 * deterministic, so a checksum over the written form can be verified after parsing. Never evaluates anything.
 */
final class Json {
  static byte[] bytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String) {
      writeString(sb, (String) v);
    } else if (v instanceof Long || v instanceof Integer) {
      sb.append(((Number) v).longValue());
    } else if (v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : new TreeMap<>((Map<?, ?>) v).entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        writeString(sb, (String) e.getKey());
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof List) {
      sb.append('[');
      boolean first = true;
      for (Object o : (List<?>) v) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
    }
  }

  private static void writeString(StringBuilder sb, String v) {
    sb.append('"');
    for (int k = 0; k < v.length(); k++) {
      char c = v.charAt(k);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  /** Parses a JSON document. @throws IllegalArgumentException on any syntax error or unsupported number */
  static Object parse(byte[] bytes) {
    return parse(bytes, null).value();
  }

  static Object parse(String text) {
    return parse(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A parsed document, and where the top-level object's member {@code key} (with one comma next to it, so that
   * the rest is still a document) lies in the bytes: {@code memberStart == memberEnd} if there is none.
   */
  record Parsed(Object value, int memberStart, int memberEnd) {}

  /**
   * Parses a document and locates a member of its top-level object (see {@link Parsed}), so that a checksum
   * over the document without that member can be computed from the bytes as read, without writing them again.
   */
  static Parsed parse(byte[] bytes, String member) {
    return parse(bytes, member, null);
  }

  /**
   * As {@link #parse(byte[], String)}, and the value of the top-level member {@code table}, where it is in the
   * canonical form of a blob table, is read as a {@link BlobTable} instead of a list of objects.
   */
  static Parsed parse(byte[] bytes, String member, String table) {
    Json p = new Json(bytes, member, table);
    p.ws();
    Object v = p.value(0);
    p.ws();
    if (p.i != p.b.length) {
      throw p.error("trailing characters");
    }
    return new Parsed(v, p.memberStart, p.memberEnd);
  }

  // The parser reads UTF-8 bytes directly (no decoding of the whole document first): the commit record of a
  // checkpoint of many tensors is parsed once per restore, mostly before the JIT has compiled anything.
  private final byte[] b;
  private final String member;
  private final String table;
  private int i;
  private int memberStart;
  private int memberEnd;

  private Json(byte[] b, String member, String table) {
    this.b = b;
    this.member = member;
    this.table = table;
  }

  private Object value(int depth) {
    if (depth > 64) {
      throw error("nested too deeply");
    }
    if (i >= b.length) {
      throw error("unexpected end");
    }
    byte c = b[i];
    switch (c) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true", true);
      case 'f': return literal("false", false);
      case 'n': return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected character '" + (char) (c & 0xff) + "'");
    }
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> m = new TreeMap<>();
    i++;
    ws();
    if (peek() == '}') {
      i++;
      return m;
    }
    int previousComma = -1;
    while (true) {
      ws();
      int start = i;
      if (peek() != '"') {
        throw error("expected a string key");
      }
      String k = string();
      ws();
      expect(':');
      ws();
      int size = m.size();
      BlobTable fast = depth == 0 && k.equals(table) ? BlobTable.parse(b, i) : null;
      if (fast != null) {
        i = fast.end;
      }
      m.put(k, fast != null ? fast : value(depth + 1));
      if (m.size() == size) {
        i = start;
        throw error("duplicate key " + k);
      }
      boolean located = depth == 0 && k.equals(member);
      int end = i;
      ws();
      byte c = next();
      if (located) { // the member and the comma before it, or else the one after it
        memberStart = previousComma >= 0 ? previousComma : start;
        memberEnd = previousComma >= 0 || c == '}' ? end : i;
      }
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
      previousComma = i - 1;
    }
  }

  private List<Object> array(int depth) {
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (peek() == ']') {
      i++;
      return l;
    }
    while (true) {
      ws();
      l.add(value(depth + 1));
      ws();
      byte c = next();
      if (c == ']') {
        return l;
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    expect('"');
    int start = i;
    boolean ascii = true;
    // Fast path: no escapes, so the string is the bytes up to the closing quote.
    for (int k = start; k < b.length; k++) {
      byte c = b[k];
      if (c == '"') {
        i = k + 1;
        return new String(b, start, k - start, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
      }
      if (c == '\\') {
        break;
      }
      if (c >= 0 && c < 0x20) {
        i = k;
        throw error("control character in string");
      }
      ascii &= c >= 0;
    }
    StringBuilder sb = new StringBuilder();
    int run = i; // start of the bytes not yet decoded
    while (true) {
      if (i >= b.length) {
        throw error("unexpected end");
      }
      byte c = b[i];
      if (c == '"' || c == '\\') {
        sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
        i++;
        if (c == '"') {
          return sb.toString();
        }
        byte e = next();
        switch (e) {
          case '"': sb.append('"'); break;
          case '\\': sb.append('\\'); break;
          case '/': sb.append('/'); break;
          case 'b': sb.append('\b'); break;
          case 'f': sb.append('\f'); break;
          case 'n': sb.append('\n'); break;
          case 'r': sb.append('\r'); break;
          case 't': sb.append('\t'); break;
          case 'u':
            if (i + 4 > b.length) {
              throw error("bad unicode escape");
            }
            int code = 0;
            for (int k = 0; k < 4; k++) {
              int d = Character.digit(b[i + k], 16);
              if (d < 0) {
                throw error("bad unicode escape");
              }
              code = code * 16 + d;
            }
            sb.append((char) code);
            i += 4;
            break;
          default: throw error("bad escape");
        }
        run = i;
      } else if (c >= 0 && c < 0x20) {
        throw error("control character in string");
      } else {
        i++;
      }
    }
  }

  private Long number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    while (i < b.length && b[i] >= '0' && b[i] <= '9') {
      i++;
    }
    if (i < b.length && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
      throw error("only whole numbers are supported");
    }
    boolean negative = b[start] == '-';
    int digits = i - start - (negative ? 1 : 0);
    if (digits == 0) {
      throw error("bad number");
    }
    if (digits > 18) { // may overflow: let the JDK decide
      try {
        return Long.parseLong(new String(b, start, i - start, StandardCharsets.ISO_8859_1));
      } catch (NumberFormatException e) {
        throw error("bad number");
      }
    }
    long v = 0;
    for (int k = negative ? start + 1 : start; k < i; k++) {
      v = v * 10 + (b[k] - '0');
    }
    return negative ? -v : v;
  }

  private Object literal(String word, Object value) {
    if (i + word.length() > b.length) {
      throw error("unexpected literal");
    }
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        throw error("unexpected literal");
      }
    }
    i += word.length();
    return value;
  }

  private void ws() {
    while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
      i++;
    }
  }

  private byte peek() {
    if (i >= b.length) {
      throw error("unexpected end");
    }
    return b[i];
  }

  private byte next() {
    byte c = peek();
    i++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      i--;
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("JSON: " + what + " at offset " + i);
  }
}
