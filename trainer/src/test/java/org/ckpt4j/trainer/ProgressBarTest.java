package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bar drawn in place on a terminal: a shorter redraw leaves nothing of the longer one; interruptions. */
class ProgressBarTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aShorterRedraw_blanksTheRestOfTheLongerBar() {
    ProgressBar bar = new ProgressBar(out, 1, 3, true);
    bar.epochBegin(0, 0);
    bar.batchEnd(1, Map.of("loss", 12.3456));
    bar.batchEnd(2, Map.of("loss", 0.5));
    String[] draws = printed().split("\r", -1);
    assertThat(draws).hasSize(3);
    assertThat(draws[1]).endsWith("loss: 12.3456");
    assertThat(draws[2].stripTrailing()).endsWith("loss: 0.5000");
    assertThat(draws[2]).hasSizeGreaterThanOrEqualTo(draws[1].length());
  }

  @Test
  void interrupted_endsABarDrawnInPlace_once_andNothingWithoutOne() {
    ProgressBar bar = new ProgressBar(out, 1, 3, true);
    bar.epochBegin(0, 0);
    bar.interrupted();
    assertThat(printed()).isEqualTo("Epoch 1/1" + System.lineSeparator());
    bar.batchEnd(1, Map.of("loss", 1.0));
    bar.interrupted();
    bar.interrupted();
    assertThat(printed()).endsWith("loss: 1.0000" + System.lineSeparator());
  }
}
