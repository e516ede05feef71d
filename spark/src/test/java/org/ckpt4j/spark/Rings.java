package org.ckpt4j.spark;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Builds rings of n workers inside the test JVM, on loopback. */
final class Rings {
  private Rings() {}

  static List<TcpRing> open(int n, Duration readTimeout) throws Exception {
    long[] attempts = new long[n];
    return open(attempts, readTimeout, Duration.ofSeconds(10));
  }

  /** One ring member per attempts[k]; members of different attempts never connect. */
  static List<TcpRing> open(long[] attempts, Duration readTimeout, Duration connectTimeout) throws Exception {
    int n = attempts.length;
    List<ServerSocket> servers = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      ServerSocket s = TcpRing.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      servers.add(s);
      addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<TcpRing>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int rank = k;
        f.add(pool.submit(() -> TcpRing.connect(rank, addresses, servers.get(rank), attempts[rank], connectTimeout,
            readTimeout)));
      }
      List<TcpRing> rings = new ArrayList<>();
      for (Future<TcpRing> r : f) {
        rings.add(r.get());
      }
      return rings;
    } finally {
      pool.shutdown();
    }
  }

  static void closeAll(List<? extends Collective> rings) {
    for (Collective c : rings) {
      c.close();
    }
  }
}
