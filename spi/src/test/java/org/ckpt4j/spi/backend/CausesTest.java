package org.ckpt4j.spi.backend;


import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cause-chain helpers backends build their error messages with. */
class CausesTest {
  /** A transport library's exception, found by its simple name only. */
  static class ConnectTimeoutException extends InterruptedIOException {
    ConnectTimeoutException(String message) {
      super(message);
    }
  }

  static final class Subclass extends ConnectTimeoutException {
    Subclass() {
      super("sub");
    }
  }

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  @Test
  @Timeout(10)
  void find_walksTheChain_andStopsOnACycle() {
    ConnectException root = new ConnectException("Connection refused");
    RuntimeException top = new RuntimeException("call failed", new UncheckedIOException(new IOException(root)));
    assertThat(Causes.find(top, ConnectException.class)).isSameAs(root);
    assertThat(Causes.has(top, SocketTimeoutException.class)).isFalse();
    IOException a = new IOException("a");
    IOException b = new IOException("b", a);
    a.initCause(b);
    assertThat(Causes.has(a, ConnectException.class)).isFalse();
    assertThat(Causes.hasMessage(a, "zzz")).isFalse();
    assertThat(Causes.hasNamed(a, "ConnectException")).isFalse();
    assertThat(Causes.rootMessage(a)).isEqualTo("IOException: b");
    assertThat(Causes.chain(a)).containsExactly(a, b);
  }

  @Test
  void hasNamed_matchesSuperclassesBySimpleName() {
    Throwable e = new RuntimeException(new Subclass());
    assertThat(Causes.hasNamed(e, "ConnectTimeoutException")).isTrue();
    assertThat(Causes.hasNamed(e, "NoHttpResponseException")).isFalse();
  }

  @Test
  void hasMessage_ignoresCase() {
    Throwable e = new RuntimeException("wrap", new IOException("Unexpected END of file"));
    assertThat(Causes.hasMessage(e, "unexpected end of file")).isTrue();
  }

  @Test
  void rootMessage_namesTheRootTypeAndFirstLine_redactedAndCut() {
    String secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    Throwable e = new RuntimeException("top", new ConnectException("refused by http://AKID:" + secret
        + "@host:9000/\nsecond line"));
    assertThat(Causes.rootMessage(e)).startsWith("ConnectException: refused by ").doesNotContain(secret)
        .doesNotContain("second line");
    assertThat(Causes.rootMessage(new IOException())).isEqualTo("IOException");
    assertThat(Causes.firstLine("x".repeat(1000))).hasSize(Causes.MAX_LINE + 3).endsWith("...");
  }

  @Test
  void interrupted_setsTheFlagAgain_andKeepsTheCause() {
    Exception cause = new Exception("aborted");
    InterruptedIOException x = Causes.interrupted("s3://b/p: GetObject k interrupted", cause);
    assertThat(Thread.currentThread().isInterrupted()).isTrue();
    assertThat(x.getCause()).isSameAs(cause);
    assertThat(x.getMessage()).contains("s3://b/p");
  }
}
