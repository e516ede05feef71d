package org.ckpt4j.storage.local;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local store's temporary files: {@code .ckpt4j-tmp-<hex>-<name>} beside the object {@code <name>} (of a
 * small object being published, or of a large one being deleted in the background), and only beside objects of
 * the protocol's layout. Any other file, whatever its name, is an object like every other (R6.1, R5.2).
 */
final class TempNames {
  static final String TMP_PREFIX = ".ckpt4j-tmp-";
  private static final Pattern TEMP_NAME = Pattern.compile("\\.ckpt4j-tmp-[0-9a-f]{1,16}-([A-Za-z0-9._-]+)");
  /** The keys a temporary file may stand beside: the protocol's marker, records, leases and data. */
  private static final Pattern TEMP_TARGET = Pattern.compile(
      "ckpt4j\\.json|(log|lease)/\\d{20}\\.json|data/[0-9a-f]{16}-[0-9a-f]{16}(/[A-Za-z0-9._/-]+|\\.pack-\\d{5})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private TempNames() {}

  /** A new temporary name beside {@code target}. */
  static Path tempFor(Path target) {
    return target.resolveSibling(TMP_PREFIX + Long.toHexString(RANDOM.nextLong()) + "-" + target.getFileName());
  }

  /**
   * The key a temporary file of this store stands for, or null if {@code key} is not one: a name this store
   * gives its temporary files, beside an object of the protocol's layout.
   */
  static String tempTarget(String key) {
    int slash = key.lastIndexOf('/');
    Matcher m = TEMP_NAME.matcher(key.substring(slash + 1));
    if (!m.matches()) {
      return null;
    }
    String target = key.substring(0, slash + 1) + m.group(1);
    return TEMP_TARGET.matcher(target).matches() ? target : null;
  }
}
