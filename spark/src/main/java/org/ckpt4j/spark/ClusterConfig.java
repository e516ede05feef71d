package org.ckpt4j.spark;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorFlow-style {@code TF_CONFIG}: {@code {"cluster": {"chief": ["h:p"], "worker": ["h:p", ...]},
 * "task": {"type": "worker", "index": 0}}}. Ranks: the chief (if listed) is 0, then the workers in order;
 * without a chief, worker 0 is the chief.
 */
record ClusterConfig(List<InetSocketAddress> addresses, int rank) {

  /** Parses the JSON. @throws IllegalArgumentException naming what is missing or malformed */
  @SuppressWarnings("unchecked")
  static ClusterConfig parse(String json) {
    Object root;
    try {
      root = new Reader(json).document();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("TF_CONFIG is not valid JSON: " + e.getMessage());
    }
    if (!(root instanceof Map<?, ?> m) || !(m.get("cluster") instanceof Map<?, ?> cluster)
        || !(m.get("task") instanceof Map<?, ?> task)) {
      throw new IllegalArgumentException("TF_CONFIG must be {\"cluster\": {...}, \"task\": {\"type\": ..., "
          + "\"index\": ...}}");
    }
    List<String> chief = strings(cluster.get("chief"), "cluster.chief");
    List<String> workers = strings(cluster.get("worker"), "cluster.worker");
    if (chief.size() > 1) {
      throw new IllegalArgumentException("TF_CONFIG: cluster.chief lists " + chief.size() + " addresses; at most 1");
    }
    List<InetSocketAddress> all = new ArrayList<>();
    for (String a : chief) {
      all.add(address(a));
    }
    for (String a : workers) {
      all.add(address(a));
    }
    if (all.isEmpty()) {
      throw new IllegalArgumentException("TF_CONFIG: cluster.worker lists no address");
    }
    Object type = task.get("type");
    if (!(task.get("index") instanceof Double d) || d != Math.rint(d) || d < 0) {
      throw new IllegalArgumentException("TF_CONFIG: task.index must be a whole number >= 0");
    }
    int index = d.intValue();
    int rank;
    if ("chief".equals(type)) {
      rank = index;
      if (chief.isEmpty() || index != 0) {
        throw new IllegalArgumentException("TF_CONFIG: task chief/" + index + " is not in cluster.chief");
      }
    } else if ("worker".equals(type)) {
      rank = chief.size() + index;
      if (index >= workers.size()) {
        throw new IllegalArgumentException("TF_CONFIG: task.index " + index + " is beyond cluster.worker's "
            + workers.size() + " addresses");
      }
    } else {
      throw new IllegalArgumentException("TF_CONFIG: task.type must be \"worker\" or \"chief\", got " + type);
    }
    return new ClusterConfig(List.copyOf(all), rank);
  }

  private static List<String> strings(Object o, String what) {
    List<String> out = new ArrayList<>();
    if (o == null) {
      return out;
    }
    if (!(o instanceof List<?> l)) {
      throw new IllegalArgumentException("TF_CONFIG: " + what + " must be a list of \"host:port\"");
    }
    for (Object e : l) {
      if (!(e instanceof String s)) {
        throw new IllegalArgumentException("TF_CONFIG: " + what + " must be a list of \"host:port\"");
      }
      out.add(s);
    }
    return out;
  }

  private static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      if (colon <= 0 || port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(hostPort.substring(0, colon), port);
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("TF_CONFIG: \"" + hostPort + "\" is not host:port");
    }
  }

  /** A small JSON reader: objects, arrays, strings, numbers (as Double), true, false, null. */
  private static final class Reader {
    private final String s;
    private int at;

    Reader(String s) {
      this.s = s;
    }

    Object document() {
      Object v = value();
      skip();
      if (at != s.length()) {
        throw new IllegalStateException("unexpected text at " + at);
      }
      return v;
    }

    private void skip() {
      while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
        at++;
      }
    }

    private Object value() {
      skip();
      if (at >= s.length()) {
        throw new IllegalStateException("unexpected end");
      }
      char c = s.charAt(at);
      if (c == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        at++;
        skip();
        if (peek('}')) {
          return m;
        }
        do {
          skip();
          String k = string();
          skip();
          expect(':');
          m.put(k, value());
          skip();
        } while (peek(','));
        expect('}');
        return m;
      }
      if (c == '[') {
        List<Object> l = new ArrayList<>();
        at++;
        skip();
        if (peek(']')) {
          return l;
        }
        do {
          l.add(value());
          skip();
        } while (peek(','));
        expect(']');
        return l;
      }
      if (c == '"') {
        return string();
      }
      for (String w : new String[] {"true", "false", "null"}) {
        if (s.startsWith(w, at)) {
          at += w.length();
          return w.equals("null") ? null : Boolean.valueOf(w);
        }
      }
      int from = at;
      while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) {
        at++;
      }
      if (from == at) {
        throw new IllegalStateException("unexpected '" + c + "' at " + at);
      }
      return Double.valueOf(s.substring(from, at));
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (at < s.length() && s.charAt(at) != '"') {
        char c = s.charAt(at++);
        if (c == '\\') {
          char e = s.charAt(at++);
          switch (e) {
            case 'n': b.append('\n'); break;
            case 't': b.append('\t'); break;
            case 'r': b.append('\r'); break;
            case 'b': b.append('\b'); break;
            case 'f': b.append('\f'); break;
            case 'u': b.append((char) Integer.parseInt(s.substring(at, at + 4), 16)); at += 4; break;
            default: b.append(e);
          }
        } else {
          b.append(c);
        }
      }
      expect('"');
      return b.toString();
    }

    private boolean peek(char c) {
      if (at < s.length() && s.charAt(at) == c) {
        at++;
        return true;
      }
      return false;
    }

    private void expect(char c) {
      if (!peek(c)) {
        throw new IllegalStateException("expected '" + c + "' at " + at);
      }
    }
  }
}
