package org.ckpt4j.cli;

import java.util.List;
import java.util.Map;

/** JSON output of {@code inspect --json}: maps, lists, strings, numbers, booleans, null; indented 2 spaces. */
final class JsonText {
  private JsonText() {}

  static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v, "");
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, String indent) {
    if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      sb.append(v);
    } else if (v instanceof Number) {
      double d = ((Number) v).doubleValue();
      sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
    } else if (v instanceof Map || v instanceof List) {
      boolean map = v instanceof Map;
      Iterable<?> items = map ? ((Map<?, ?>) v).entrySet() : (List<?>) v;
      sb.append(map ? '{' : '[');
      String inner = indent + "  ";
      boolean first = true;
      for (Object item : items) {
        sb.append(first ? "\n" : ",\n").append(inner);
        first = false;
        if (map) {
          Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
          string(sb, String.valueOf(e.getKey()));
          sb.append(": ");
          write(sb, e.getValue(), inner);
        } else {
          write(sb, item, inner);
        }
      }
      if (!first) {
        sb.append('\n').append(indent);
      }
      sb.append(map ? '}' : ']');
    } else {
      string(sb, String.valueOf(v));
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
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
}
