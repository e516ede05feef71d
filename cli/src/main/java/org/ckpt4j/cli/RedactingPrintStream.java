package org.ckpt4j.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.ckpt4j.spi.Redaction;

/**
 * What the command line prints to a person goes through {@link Redaction}: a {@code --backup-dir} such as
 * {@code s3://KEY:SECRET@bucket/p}, or an exception message quoting one, never shows the credentials.
 */
final class RedactingPrintStream extends PrintStream {
  RedactingPrintStream(PrintStream out) {
    super(out, true, StandardCharsets.UTF_8);
  }

  static PrintStream wrap(PrintStream out) {
    return out instanceof RedactingPrintStream ? out : new RedactingPrintStream(out);
  }

  @Override
  public void print(String s) {
    super.print(s == null || s.indexOf(':') < 0 ? s : Redaction.redact(s));
  }

  @Override
  public void print(Object o) {
    print(String.valueOf(o));
  }

  @Override
  public void println(String s) {
    synchronized (this) {
      print(s);
      println();
    }
  }

  @Override
  public void println(Object o) {
    println(String.valueOf(o));
  }
}
