package org.ckpt4j.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.ckpt4j.spi.CheckpointStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21 "modular artifacts": a modular application can {@code requires org.ckpt4j.spi;} with no
 * {@code --add-modules} workaround. Compiles a tiny consumer module against the spi module on the module path (with
 * slf4j-api, nothing else) and runs it there: it opens a {@code mem:} store (a service the spi module provides) and
 * redacts a URI. With only an {@code Automatic-Module-Name} the spi jar failed here: an automatic module does not
 * bring the explicit module {@code org.slf4j} into the graph ({@code NoClassDefFoundError: org/slf4j/LoggerFactory});
 * spi's module-info requires it.
 */
class ModularConsumerTest {
  @TempDir Path dir;

  private static Path codeSource(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** The spi module: its jar, or its classes (with module-info.class) when the jar is not built yet. */
  private static Path spiModule() throws Exception {
    return codeSource(CheckpointStores.class);
  }

  @Test
  void aModularApplication_requiresOrgCkpt4jSpi_andRunsOnTheModulePath() throws Exception {
    String modulePath = spiModule() + File.pathSeparator + codeSource(org.slf4j.Logger.class);

    Path src = Files.createDirectories(dir.resolve("src/consumer"));
    Files.writeString(dir.resolve("src/module-info.java"), "module consumer { requires org.ckpt4j.spi; }\n");
    Files.writeString(src.resolve("Main.java"), String.join("\n",
        "package consumer;",
        "import org.ckpt4j.spi.CheckpointStore;",
        "import org.ckpt4j.spi.CheckpointStores;",
        "import org.ckpt4j.spi.Redaction;",
        "import org.ckpt4j.spi.StoreOptions;",
        "public final class Main {",
        "  public static void main(String[] args) throws Exception {",
        "    try (CheckpointStore store = CheckpointStores.open(\"mem:modular\", StoreOptions.forOwner(\"m\").build())) {",
        "      System.out.println(\"opened \" + store.uri() + \" from module \" + Main.class.getModule().getName()",
        "          + \" with \" + CheckpointStores.class.getModule().getName());",
        "    }",
        "    System.out.println(Redaction.redact(\"s3://key:se/cret@bucket/p\"));",
        "  }",
        "}", ""));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    Path out = dir.resolve("out");
    boolean compiled = javac.getTask(new PrintWriter(diagnostics), null, null,
        List.of("--module-path", modulePath, "-d", out.toString()), null,
        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(
            dir.resolve("src/module-info.java"), src.resolve("Main.java"))).call();
    assertThat(compiled).as("javac: %s", diagnostics).isTrue();

    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "--module-path", modulePath + File.pathSeparator + out,
        "-m", "consumer/consumer.Main").redirectErrorStream(true).start();
    String output = read(p.getInputStream());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("opened mem:modular from module consumer with org.ckpt4j.spi")
        .contains("s3://***@bucket/p");
  }

  /**
   * Issue 19 "audiences apart": a consumer module reads the API and the backend SPI, and is refused the protocol's
   * internals and the in-memory store's package (exported to the TCK only).
   */
  @Test
  void aModularApplication_seesTheApiAndTheSpi_notTheInternals() throws Exception {
    String modulePath = spiModule() + File.pathSeparator + codeSource(org.slf4j.Logger.class);
    assertThat(compile(modulePath, "org.ckpt4j.spi.backend.ObjectStoreProvider")).isEmpty();
    assertThat(compile(modulePath, "org.ckpt4j.spi.internal.ProviderRegistry"))
        .contains("package org.ckpt4j.spi.internal is declared in module org.ckpt4j.spi, which does not export it");
    assertThat(compile(modulePath, "org.ckpt4j.spi.mem.InMemoryStoreProvider"))
        .contains("package org.ckpt4j.spi.mem is declared in module org.ckpt4j.spi, which does not export it");
  }

  /** Compiles a consumer module whose one class names {@code type}; returns javac's errors (empty if none). */
  private String compile(String modulePath, String type) throws IOException {
    Path root = Files.createTempDirectory(dir, "consumer");
    Path src = Files.createDirectories(root.resolve("src/consumer"));
    Files.writeString(root.resolve("src/module-info.java"), "module consumer { requires org.ckpt4j.spi; }\n");
    Files.writeString(src.resolve("Uses.java"),
        "package consumer;\npublic final class Uses {\n  static final Class<?> C = " + type + ".class;\n}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean compiled = javac.getTask(new PrintWriter(diagnostics), null, null,
        // an empty class path: the test JVM's own (the default) holds the spi's classes as an unnamed module
        List.of("--module-path", modulePath, "--class-path", root.toString(), "-d", root.resolve("out").toString()),
        null,
        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(
            root.resolve("src/module-info.java"), src.resolve("Uses.java"))).call();
    assertThat(compiled || !diagnostics.toString().isEmpty()).isTrue();
    return compiled ? "" : diagnostics.toString();
  }

  private static String read(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    in.transferTo(b);
    return b.toString(StandardCharsets.UTF_8);
  }
}
