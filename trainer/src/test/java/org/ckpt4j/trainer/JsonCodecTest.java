package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {

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
}
