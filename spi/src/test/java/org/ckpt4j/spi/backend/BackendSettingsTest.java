package org.ckpt4j.spi.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** The shared settings lookup and parsers for object-store backends. */
class BackendSettingsTest {
  private static final BackendSettings.Rules RULES = new BackendSettings.Rules("tb", List.of("size", "delay",
      "count", "flag", "key"), Set.of("key"), Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"),
      "3-63 characters of [a-z0-9-]", "the test credentials");
  private static final StoreOptions PLAIN = StoreOptions.forOwner("me").build();
  private static final Properties NO_SYSTEM = new Properties();

  private static BackendSettings parse(String uri, StoreOptions options, Properties system, Map<String, String> env)
      throws UnsupportedSchemeException {
    return BackendSettings.parse(RULES, URI.create(uri), options, system, env);
  }

  private static BackendSettings plain() throws UnsupportedSchemeException {
    return parse("tb://bucket/a/b", PLAIN, NO_SYSTEM, Map.of());
  }

  @Test
  void parse_splitsBucketAndPrefix_withoutQuery() throws Exception {
    BackendSettings s = parse("tb://bucket//a/b/?count=2", PLAIN, NO_SYSTEM, Map.of());
    assertThat(s.bucket()).isEqualTo("bucket");
    assertThat(s.prefix()).isEqualTo("a/b/");
    assertThat(s.uri()).isEqualTo(URI.create("tb://bucket/a/b"));
    assertThat(parse("tb://bucket", PLAIN, NO_SYSTEM, Map.of()).prefix()).isEmpty();
  }

  @Test
  void parse_malformedUris_areUnsupportedSchemeWithTheSchemeAndNoUserInfo() {
    for (String uri : List.of("tb:opaque", "tb://UPPER/p", "tb://bucket/p#frag", "tb://bucket/a/../b",
        "tb://bucket/p?color=red", "tb://bucket/p?count=1&count=2", "tb://AKID:s3cr3t@bucket/p",
        "tb://AKID:s3/cr3t@bucket/p", "tb://bucket/p?key=s3cr3t")) {
      Throwable t = catchThrowable(() -> parse(uri, PLAIN, NO_SYSTEM, Map.of()));
      assertThat(t).as(uri).isInstanceOf(UnsupportedSchemeException.class);
      assertThat(t.getMessage()).as(uri).doesNotContain("s3cr3t").doesNotContain("cr3t");
    }
  }

  @Test
  void parse_unknownSchemeOption_isIllegalArgumentNamingIt() {
    StoreOptions typo = StoreOptions.forOwner("me").property("tb.colour", "red").property("other.x", "y").build();
    assertThatThrownBy(() -> parse("tb://bucket/p", typo, NO_SYSTEM, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tb.colour");
  }

  @Test
  void get_optionBeatsQueryBeatsSystemProperty_andRemembersTheOrigin() throws Exception {
    Properties system = new Properties();
    system.setProperty("ckpt4j.tb.count", "1");
    StoreOptions option = StoreOptions.forOwner("me").property("tb.count", "3").build();
    BackendSettings all = parse("tb://bucket/p?count=2", option, system, Map.of());
    assertThat(all.get("count")).contains("3");
    assertThat(all.origin("count")).isEqualTo("option tb.count");
    BackendSettings query = parse("tb://bucket/p?count=2", PLAIN, system, Map.of());
    assertThat(query.get("count")).contains("2");
    assertThat(query.origin("count")).isEqualTo("query parameter count");
    BackendSettings sys = parse("tb://bucket/p", PLAIN, system, Map.of());
    assertThat(sys.get("count")).contains("1");
    assertThat(sys.origin("count")).isEqualTo("system property ckpt4j.tb.count");
    BackendSettings blank = parse("tb://bucket/p?count=%20", StoreOptions.forOwner("me").property("tb.count", "")
        .build(), NO_SYSTEM, Map.of());
    assertThat(blank.get("count")).isEmpty();
    assertThat(blank.origin("count")).isEqualTo("setting count");
  }

  @Test
  void env_readsTheInjectedEnvironment_asTheOriginOfTheSetting() throws Exception {
    BackendSettings s = parse("tb://bucket/p", PLAIN, NO_SYSTEM, Map.of("TB_COUNT", "x"));
    assertThat(s.env("count", "TB_COUNT")).contains("x");
    assertThatThrownBy(() -> s.intRange("count", "x", 1, 5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("environment variable TB_COUNT").hasMessageContaining("from 1 to 5");
    assertThat(s.env("flag", "TB_UNSET")).isEmpty();
  }

  @Test
  void invalid_redactsCredentialsInTheValue() throws Exception {
    BackendSettings s = plain();
    String secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    IllegalArgumentException e = s.invalid("flag", "got \"http://AKID:" + secret + "@host/\"");
    assertThat(e.getMessage()).doesNotContain(secret).contains("tb://bucket/a/b").contains("setting flag");
    assertThat(BackendSettings.shownValue("AKID:" + secret + "@host:9000")).doesNotContain(secret);
  }

  @Test
  void parsers_acceptTheDocumentedForms() throws Exception {
    BackendSettings s = plain();
    assertThat(s.size("size", "8MiB", n -> true, "a size")).isEqualTo(8L << 20);
    assertThat(s.size("size", "512 k", n -> true, "a size")).isEqualTo(512L << 10);
    assertThat(s.size("size", "1G", n -> true, "a size")).isEqualTo(1L << 30);
    assertThat(s.size("size", "4096", n -> true, "a size")).isEqualTo(4096);
    assertThat(s.duration("delay", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(s.duration("delay", "10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.duration("delay", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.duration("delay", "PT3S")).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.bool("flag", "YES")).isTrue();
    assertThat(s.bool("flag", "0")).isFalse();
    assertThat(s.intRange("count", " 7 ", 1, 7)).isEqualTo(7);
  }

  @Test
  void size_rejectsValuesThatOverflowALong_insteadOfWrappingIntoRange() throws Exception {
    BackendSettings s = plain();
    // (2^34 + 1) GiB wraps to exactly 1 GiB in 64-bit arithmetic.
    assertThatThrownBy(() -> s.size("size", "17179869185g", n -> n >= 1 && n <= 1L << 30, "at most 1GiB"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 1GiB");
  }

  @Test
  void size_andDuration_roundTripThroughTheirUnits() throws Exception {
    BackendSettings s = plain();
    Gen<String> units = Generate.pick(List.of("", "b", "k", "KiB", "kb", "m", "MiB", "mb", "g", "GiB", "gb"));
    qt().forAll(longs().between(0, 999_999L), units).checkAssert((n, unit) -> {
      int shift = unit.isEmpty() || unit.equals("b") ? 0 : "kK".indexOf(unit.charAt(0)) >= 0 ? 10
          : "mM".indexOf(unit.charAt(0)) >= 0 ? 20 : 30;
      assertThat(s.size("size", n + unit, x -> true, "a size")).isEqualTo(n << shift);
    });
    qt().forAll(longs().between(1, 1_000_000_000L)).checkAssert(ms -> {
      assertThat(s.duration("delay", ms + "ms")).isEqualTo(Duration.ofMillis(ms));
      assertThat(s.duration("delay", Duration.ofMillis(ms).toString())).isEqualTo(Duration.ofMillis(ms));
    });
    qt().forAll(longs().between(1, 1_000_000L)).checkAssert(sec ->
        assertThat(s.duration("delay", sec + "s")).isEqualTo(Duration.ofSeconds(sec)));
    qt().forAll(integers().between(-1000, 1000)).checkAssert(n ->
        assertThat(s.intRange("count", Integer.toString(n), -1000, 1000)).isEqualTo(n));
  }

  @Test
  void garbage_onlyEverThrowsIllegalArgumentNamingTheSettingAndOrigin() throws Exception {
    Properties system = new Properties();
    system.setProperty("ckpt4j.tb.size", "x");
    BackendSettings s = parse("tb://bucket/p", PLAIN, system, Map.of());
    s.get("size");
    Gen<String> garbage = strings().allPossible().ofLengthBetween(0, 24)
        .mix(strings().basicLatinAlphabet().ofLengthBetween(0, 24))
        .mix(Generate.pick(List.of("-5ms", "0s", "PT-1S", "99999999999999999999s", "1e3", "ms", "5 MiB x",
            "9223372036854775807g", "P1D", "pt", "-1", "2147483648", "NaN", "")));
    qt().forAll(garbage).checkAssert(g -> {
      for (Runnable parser : List.<Runnable>of(
          () -> s.size("size", g, n -> n > 0 && n % 3 == 1, "a size that leaves 1 divided by 3"),
          () -> s.duration("size", g),
          () -> s.intRange("size", g, 1, 5),
          () -> s.bool("size", g))) {
        Throwable t = catchThrowable(parser::run);
        if (t != null) {
          assertThat(t).as("%s", g).isExactlyInstanceOf(IllegalArgumentException.class);
          assertThat(t.getMessage()).as("%s", g).contains("system property ckpt4j.tb.size").contains("must be");
        }
      }
    });
  }
}
