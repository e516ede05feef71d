package org.ckpt4j.spi.internal;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parseOfWrite_isTheValue_forEveryKindOfValue() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("zeta", List.of(1L, -2L, Long.MAX_VALUE, Long.MIN_VALUE, 0L));
    m.put("alpha", "plain");
    m.put("escapes", "quote \" backslash \\ newline \n tab \t cr \r control \u0001 slash /");
    m.put("unicode", "\u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude00");
    m.put("flags", Arrays.asList(true, false, null));
    m.put("nested", Map.of("a", Map.of("b", List.of(Map.of()))));
    m.put("empty", "");
    String text = Json.write(m);
    assertThat(Json.parse(text)).isEqualTo(new TreeMap<>(m));
    assertThat(Json.write(Json.parse(text))).isEqualTo(text);
    assertThat(text).startsWith("{\"alpha\":\"plain\",\"empty\":\"\",\"escapes\":");
  }

  @Test
  void parse_acceptsWhiteSpaceAndEscapesThatWriteNeverProduces() {
    Object v = Json.parse(" { \"a\" : [ 1 , \"\\u0041\\/\\b\\f\" ] ,\n\"b\":\t-0 } ");
    assertThat(v).isEqualTo(Map.of("a", List.of(1L, "A/\b\f"), "b", 0L));
  }

  @Test
  void parse_refusesWhatIsNotCanonicalData_namingTheOffset() {
    assertRefused("{\"a\":1,\"a\":2}", "duplicate key a at offset 7");
    assertRefused("{\"a\":1.5}", "only whole numbers");
    assertRefused("{\"a\":1e3}", "only whole numbers");
    assertRefused("[-]", "bad number");
    assertRefused("[99999999999999999999]", "bad number");
    assertRefused("{\"a\":1} x", "trailing characters");
    assertRefused("{\"a\":1", "unexpected end");
    assertRefused("\"abc", "unexpected end");
    assertRefused("\"a\u0001\"", "control character");
    assertRefused("\"a\\q\"", "bad escape");
    assertRefused("\"\\u12G4\"", "bad unicode escape");
    assertRefused("\"\\u12\"", "bad unicode escape");
    assertRefused("[tru]", "unexpected literal");
    assertRefused("{1:2}", "expected a string key");
    assertRefused("{\"a\" 1}", "expected ':'");
    assertRefused("[1 2]", "expected ',' or ']'");
    assertRefused("{\"a\":1 \"b\":2}", "expected ',' or '}'");
    assertRefused("@", "unexpected character '@'");
    assertRefused("[".repeat(100) + "]".repeat(100), "nested too deeply");
  }

  @Test
  void parse_keepsLongsExact_atTheEdges() {
    assertThat(Json.parse("[9223372036854775807,-9223372036854775808,123456789012345678]"))
        .isEqualTo(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 123456789012345678L));
    assertRefused("[9223372036854775808]", "bad number");
  }

  @Test
  void member_isLocatedWithOneCommaSoThatTheRestIsTheDocumentWithoutIt() {
    // first, middle, last and only member; nested members of the same name are not the top-level one
    for (String doc : List.of("{\"crc32\":\"x\",\"b\":[{\"crc32\":\"y\"}]}", "{\"a\":1,\"crc32\":\"x\",\"b\":2}",
        "{\"a\":{\"crc32\":1},\"crc32\":\"x\"}", "{\"crc32\":\"x\"}")) {
      byte[] raw = doc.getBytes(StandardCharsets.UTF_8);
      Json.Parsed p = Json.parse(raw, "crc32");
      String rest = new String(raw, 0, p.memberStart(), StandardCharsets.UTF_8)
          + new String(raw, p.memberEnd(), raw.length - p.memberEnd(), StandardCharsets.UTF_8);
      @SuppressWarnings("unchecked")
      Map<String, Object> without = new TreeMap<>((Map<String, Object>) p.value());
      without.remove("crc32");
      assertThat(rest).as(doc).isEqualTo(Json.write(without));
    }
    Json.Parsed none = Json.parse("{\"a\":{\"crc32\":1}}".getBytes(StandardCharsets.UTF_8), "crc32");
    assertThat(none.memberEnd()).isEqualTo(none.memberStart());
  }

  @Test
  void sealedRecords_unsealToTheirBody_andAnyChangedByteIsRefused() {
    Map<String, Object> body = new TreeMap<>();
    List<Object> blobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      blobs.add(Map.of("crc32", String.format("%08x", i), "name", "t" + i + ".bin", "size", 64L * i));
    }
    body.put("blobs", blobs);
    body.put("metadata", Map.of("note", "\u00e9pique \"quoted\""));
    body.put("seq", 7L);
    byte[] sealed = Records.sealed(body);
    assertThat(Records.unseal(sealed)).isEqualTo(body);
    for (int k = 0; k < sealed.length; k++) {
      byte[] changed = sealed.clone();
      changed[k] ^= 0x01;
      int at = k;
      assertThatThrownBy(() -> Records.unseal(changed)).as("byte %d flipped", at)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void unseal_refusesARecordWithoutChecksum() {
    assertThatThrownBy(() -> Records.unseal("{\"seq\":1}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("checksum mismatch");
    assertThatThrownBy(() -> Records.unseal("[1]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("not a JSON object");
  }

  @Test
  void commitTimes_parseLikeInstantParse() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(2);
    for (int i = 0; i < 2000; i++) {
      java.time.Instant t = java.time.Instant.ofEpochSecond(r.nextLong(0, 8_000_000_000L),
          i % 4 == 0 ? 0 : i % 4 == 1 ? r.nextInt(1000) * 1_000_000 : i % 4 == 2 ? r.nextInt(1_000_000) * 1000
              : r.nextInt(1_000_000_000));
      assertThat(Records.parseTime(t.toString())).isEqualTo(t);
    }
    assertThat(Records.parseTime("+12026-01-01T00:00:00Z"))
        .isEqualTo(java.time.Instant.parse("+12026-01-01T00:00:00Z"));
    // Whatever the fast path does not take is the general parser's: the same instant or the same refusal.
    for (String odd : List.of("2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z", "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00+01:00", "yesterday")) {
      Object expected;
      try {
        expected = java.time.Instant.parse(odd);
      } catch (java.time.format.DateTimeParseException e) {
        expected = e.getClass();
      }
      Object actual;
      try {
        actual = Records.parseTime(odd);
      } catch (java.time.format.DateTimeParseException e) {
        actual = e.getClass();
      }
      assertThat(actual).as(odd).isEqualTo(expected);
    }
    assertThatThrownBy(() -> Records.parseTime("2026-02-30T00:00:00Z"))
        .isInstanceOf(java.time.format.DateTimeParseException.class);
  }

  private static void assertRefused(String doc, String message) {
    assertThatThrownBy(() -> Json.parse(doc)).as(doc).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
