package org.ckpt4j.spi.internal;


import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The blob table read straight from canonical bytes must be the table the general parser reads, or nothing. */
class BlobTableTest {

  @Test
  void canonicalTables_areReadWithoutTheGeneralParser_andEqualItsTable() {
    qt().withExamples(300).withFixedSeed(7).forAll(integers().between(0, 60), longs().all())
        .checkAssert((count, seed) -> {
          byte[] doc = document(table(count, new SplittableRandom(seed)));
          Object fast = parseWithTable(doc);
          assertThat(fast).isInstanceOf(BlobTable.class);
          assertThat(entries(((BlobTable) fast).entries)).isEqualTo(generalTable(doc));
        });
  }

  @Test
  void everyChangedByte_givesTheGeneralParsersTableOrItsError() {
    // One change per position and replacement: the fast path either reads what the general parser reads, or
    // steps aside (a BlobTable only where the general parser yields the same table; else the same outcome).
    byte[] doc = document(table(4, new SplittableRandom(3)));
    byte[] replacements = "\"\\,:{}[]-0159afAF x\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    int fast = 0;
    for (int k = 0; k < doc.length; k++) {
      for (byte r : replacements) {
        byte[] changed = doc.clone();
        changed[k] = r;
        for (byte[] variant : List.of(changed, remove(doc, k), insert(doc, k, r))) {
          Object expected = outcome(() -> generalTable(variant));
          Object actual = outcome(() -> {
            Object t = parseWithTable(variant);
            return t instanceof BlobTable ? entries(((BlobTable) t).entries) : generalTable(variant);
          });
          String shown = new String(variant, StandardCharsets.ISO_8859_1);
          assertThat(actual).as(shown).isEqualTo(expected);
          fast += outcome(() -> parseWithTable(variant)) instanceof BlobTable ? 1 : 0;
        }
      }
    }
    assertThat(fast).as("variants the fast path read itself").isGreaterThan(100);
  }

  @Test
  void whatTheFastPathDoesNotTake_goesToTheGeneralParser() {
    // upper-case checksum, a name with an escape or a non-ASCII letter, a 19-digit size, no pack, a duplicate
    for (String entries : List.of(
        "{\"crc32\":\"0000ABCD\",\"name\":\"a\",\"offset\":0,\"pack\":0,\"size\":1}",
        "{\"crc32\":\"0000abcd\",\"name\":\"a\\u0041\",\"offset\":0,\"pack\":0,\"size\":1}",
        "{\"crc32\":\"0000abcd\",\"name\":\"\u00e9\",\"offset\":0,\"pack\":0,\"size\":1}",
        "{\"crc32\":\"0000abcd\",\"name\":\"a\",\"offset\":0,\"pack\":0,\"size\":1000000000000000000}",
        "{\"crc32\":\"0000abcd\",\"name\":\"a\",\"size\":1}",
        "{\"crc32\":\"0000abcd\",\"name\":\"a\",\"offset\":0,\"pack\":0,\"size\":1},"
            + "{\"crc32\":\"0000abcd\",\"name\":\"a\",\"offset\":0,\"pack\":0,\"size\":2}")) {
      byte[] doc = ("{\"blobs\":[" + entries + "]}").getBytes(StandardCharsets.UTF_8);
      assertThat(parseWithTable(doc)).as(entries).isInstanceOf(List.class);
    }
  }

  private static Object parseWithTable(byte[] doc) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(doc, null, "blobs").value();
    return m.get("blobs");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, List<Long>> generalTable(byte[] doc) {
    Map<String, Object> m = (Map<String, Object>) Json.parse(doc);
    return entries(Records.blobTable((List<Object>) m.get("blobs")));
  }

  private static Map<String, List<Long>> entries(Map<String, BlobEntry> table) {
    Map<String, List<Long>> out = new TreeMap<>();
    table.forEach((k, v) -> out.put(k, List.of(v.size(), v.crc(), v.pack(), v.offset())));
    return out;
  }

  private static List<Object> table(int count, SplittableRandom r) {
    long[] edges = {0, 1, 9, 10, 999_999_999_999_999_999L};
    Set<String> names = new LinkedHashSet<>();
    while (names.size() < count) {
      names.add(r.nextBoolean() ? "layer" + r.nextInt(100) + "/W.npy" : "t" + r.nextInt(1000) + "-_." + r.nextInt(9));
    }
    List<Object> table = new ArrayList<>();
    for (String name : names) {
      Map<String, Object> e = new TreeMap<>();
      e.put("name", name);
      e.put("crc32", Records.hex8(r.nextLong()));
      for (String key : List.of("size", "pack", "offset")) {
        e.put(key, r.nextInt(4) == 0 ? edges[r.nextInt(edges.length)] : r.nextLong(0, 1L << 40));
      }
      table.add(e);
    }
    return table;
  }

  private static byte[] document(List<Object> table) {
    return Json.bytes(Map.of("blobs", table, "seq", 7L));
  }

  private static byte[] remove(byte[] b, int k) {
    byte[] out = new byte[b.length - 1];
    System.arraycopy(b, 0, out, 0, k);
    System.arraycopy(b, k + 1, out, k, b.length - k - 1);
    return out;
  }

  private static byte[] insert(byte[] b, int k, byte r) {
    byte[] out = new byte[b.length + 1];
    System.arraycopy(b, 0, out, 0, k);
    out[k] = r;
    System.arraycopy(b, k, out, k + 1, b.length - k);
    return out;
  }

  private static Object outcome(java.util.concurrent.Callable<Object> f) {
    try {
      return f.call();
    } catch (Exception e) {
      return e.getClass(); // the same kind of refusal (messages may name different offsets)
    }
  }
}
