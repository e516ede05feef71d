package org.ckpt4j.resume;

/**
 * Every blob name of a checkpoint, spelled once: {@code manifest.json}, one {@code .npy} per tensor under
 * {@code model/}, {@code optimizer/}, {@code data/} and {@code callbacks/<key>/}.
 */
public final class BlobLayout {
  /** The typed manifest ({@link TrainingManifest}), written last. */
  public static final String MANIFEST = "manifest.json";
  /** The shuffle order of the epoch in progress, saved mid-epoch only. */
  public static final String ORDER = "data/order.npy";

  private BlobLayout() {}

  /** A model parameter, e.g. {@code model/0/W.npy} for parameter {@code 0/W}. */
  public static String model(String param) {
    return "model/" + param + ".npy";
  }

  /** An optimizer slot of a parameter, e.g. {@code optimizer/0/W.m.npy}. */
  public static String optimizer(String param, String slot) {
    return "optimizer/" + param + "." + slot + ".npy";
  }

  /** A tensor of a stateful callback's state. */
  public static String callback(String stateKey, String tensor) {
    return "callbacks/" + stateKey + "/" + tensor + ".npy";
  }
}
