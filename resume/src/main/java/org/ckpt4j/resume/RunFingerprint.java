package org.ckpt4j.resume;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The identity of a training run: everything that changes its trajectory except the number of epochs (so a run
 * can be extended). The trainer supplies the fields (model, optimizer, loss, seed, batch size, shuffle, digests of
 * the data, ...) under a format prefix of its own. Encoded as {@code <prefix>;field=value;...}; this string is
 * the store's owner identity, so a backup dir of another run is refused by the store and the differing fields
 * can be named ({@link RunMismatchException}). The save frequency is not part of it: saving never changes the
 * numbers.
 */
public final class RunFingerprint {
  private final String prefix;
  private final Map<String, String> fields;

  private RunFingerprint(String prefix, Map<String, String> fields) {
    this.prefix = prefix;
    this.fields = Collections.unmodifiableMap(fields);
  }

  /**
   * A fingerprint of these fields, in this order.
   *
   * @param prefix the trainer's format, e.g. {@code ckpt4j-trainer/1}: no {@code ;}
   * @param fields names without {@code ;} or {@code =}; values without {@code ;}
   */
  public static RunFingerprint of(String prefix, Map<String, String> fields) {
    Objects.requireNonNull(prefix, "prefix");
    if (prefix.isEmpty() || prefix.contains(";")) {
      throw new IllegalArgumentException("fingerprint prefix \"" + prefix + "\" must be non-empty, without ';'");
    }
    Map<String, String> f = new LinkedHashMap<>();
    fields.forEach((k, v) -> {
      if (k.isEmpty() || k.contains(";") || k.contains("=") || v.contains(";")) {
        throw new IllegalArgumentException("fingerprint field " + k + "=" + v + ": no ';' in names or values, "
            + "no '=' in names");
      }
      f.put(k, v);
    });
    return new RunFingerprint(prefix, f);
  }

  /**
   * Parses an encoded fingerprint; one of another format (prefix) comes back with the single field
   * {@code format}.
   */
  public static RunFingerprint parse(String encoded, String expectedPrefix) {
    Map<String, String> f = new LinkedHashMap<>();
    String[] parts = encoded.split(";");
    if (!expectedPrefix.equals(parts[0])) {
      f.put("format", parts[0]);
      return new RunFingerprint(expectedPrefix, f);
    }
    for (String p : Arrays.asList(parts).subList(1, parts.length)) {
      int eq = p.indexOf('=');
      f.put(eq < 0 ? p : p.substring(0, eq), eq < 0 ? "" : p.substring(eq + 1));
    }
    return new RunFingerprint(expectedPrefix, f);
  }

  public String prefix() {
    return prefix;
  }

  /** The fields by name, in order. */
  public Map<String, String> fields() {
    return fields;
  }

  public String encoded() {
    StringBuilder sb = new StringBuilder(prefix);
    fields.forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
    return sb.toString();
  }

  /** Descriptions "field (stored A, this run B)" of the fields that differ from {@code stored}. */
  public List<String> differences(RunFingerprint stored) {
    List<String> d = new ArrayList<>();
    if (stored.fields.containsKey("format")) {
      d.add("format (stored " + stored.fields.get("format") + ", this run " + prefix + ")");
      return d;
    }
    List<String> keys = new ArrayList<>(fields.keySet());
    stored.fields.keySet().stream().filter(k -> !fields.containsKey(k)).forEach(keys::add);
    for (String k : keys) {
      String mine = fields.get(k);
      String theirs = stored.fields.get(k);
      if (mine == null || !mine.equals(theirs)) {
        d.add(k + " (stored " + theirs + ", this run " + mine + ")");
      }
    }
    return d;
  }

  /** Names of the fields that differ. */
  public List<String> differingFields(RunFingerprint stored) {
    List<String> names = new ArrayList<>();
    for (String d : differences(stored)) {
      names.add(d.substring(0, d.indexOf(' ')));
    }
    return names;
  }

  /** The SHA-256 of a text, in hex: names a field too long to spell out. */
  public static String sha256(String s) {
    return sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The SHA-256 of bytes, in hex (e.g. a data set's, with its shape). */
  public static String sha256(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        md.update(p);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunFingerprint f && f.encoded().equals(encoded());
  }

  @Override
  public int hashCode() {
    return encoded().hashCode();
  }

  @Override
  public String toString() {
    return encoded();
  }
}
