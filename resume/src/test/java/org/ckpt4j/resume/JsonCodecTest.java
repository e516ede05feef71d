package org.ckpt4j.resume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
  /** {@link JsonCodec#MAX_DEPTH}, spelled out so that this test also compiles against older code. */
  private static final int MAX_DEPTH = 64;

  @Test
  void strings_escapeQuotesBackslashesAndControlCharacters_andReadBackEqual() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("plain", "ckpt4j-trainer/1;model=in(20)>dense(10,linear)");
    m.put("esc\"aped", "a\"b\\c\nd\re\tf\u0001g\u001fh");
    m.put("", "");
    m.put("tail\\", List.of("\"", "x\n"));
    String json = JsonCodec.write(m);
    assertThat(json).isEqualTo("{\"plain\":\"ckpt4j-trainer/1;model=in(20)>dense(10,linear)\","
        + "\"esc\\\"aped\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\",\"\":\"\",\"tail\\\\\":[\"\\\"\",\"x\\n\"]}");
    assertThat(JsonCodec.parse(json)).isEqualTo(m);
  }

  @Test
  void deepNesting_isRefusedAsMalformed_neverAStackOverflow() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    assertThatThrownBy(() -> JsonCodec.parse(deep)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nested deeper than " + MAX_DEPTH);
    String objects = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
    assertThatThrownBy(() -> JsonCodec.parse(objects)).isInstanceOf(IllegalArgumentException.class);
    String ok = "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH);
    assertThat(JsonCodec.parse(ok)).isInstanceOf(List.class);
    Object tooDeep = List.of();
    for (int k = 0; k < MAX_DEPTH; k++) {
      tooDeep = List.of(tooDeep);
    }
    Object refused = tooDeep;
    assertThatThrownBy(() -> JsonCodec.write(refused)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void numbersOutOfRangeOrNotJson_areRefusedAsMalformed() {
    for (String bad : List.of("99999999999999999999999", "1e999", "-1e400", "+1", "01", "1.", ".5", "1e", "--1",
        "\"\\uzzzz\"", "\"\\u+123\"")) {
      assertThatThrownBy(() -> JsonCodec.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("malformed JSON");
    }
    assertThat(JsonCodec.parse("-0.5e-3")).isEqualTo(-0.5e-3);
    assertThat(JsonCodec.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
  }
}
