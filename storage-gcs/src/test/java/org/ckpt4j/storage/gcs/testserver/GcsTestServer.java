package org.ckpt4j.storage.gcs.testserver;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * A small, strict Google Cloud Storage JSON API server for tests, on the JDK's HTTP server, bound to 127.0.0.1 on
 * an ephemeral port. It speaks the subset that {@code google-cloud-storage} 2.75.0 sends over its HTTP transport
 * ({@code StorageOptions.http().setHost(server.host())} with {@code NoCredentials}):
 * <ul>
 *   <li>buckets: get, insert (409 when it exists), delete (409 unless empty);</li>
 *   <li>object insert: simple ({@code uploadType=media}), multipart ({@code uploadType=multipart}, checking any
 *       {@code crc32c}/{@code md5Hash} the client sends), resumable ({@code uploadType=resumable}: session
 *       start, {@code Content-Range} chunks answered {@code 308} with {@code Range: bytes=0-N}, status queries,
 *       overlapping re-sends, finalize, and a finalized session answering its object again);</li>
 *   <li>object get (metadata, and {@code alt=media} with {@code Range} answered 206/416 and the
 *       {@code x-goog-generation} header), list ({@code prefix}, {@code delimiter}, {@code maxResults},
 *       {@code pageToken}), patch (also as POST with {@code X-HTTP-Method-Override}), delete;</li>
 *   <li>generations and metagenerations, and the preconditions {@code ifGenerationMatch} (0 = must not exist),
 *       {@code ifGenerationNotMatch}, {@code ifMetagenerationMatch}, {@code ifMetagenerationNotMatch}, answered
 *       412 {@code conditionNotMet} (304 for the not-match ones on reads) and checked under one lock together
 *       with the write they guard, so concurrent creates of one name have exactly one winner; a resumable
 *       upload re-checks its preconditions when it finalizes;</li>
 *   <li>gzipped request bodies ({@code Content-Encoding: gzip}).</li>
 * </ul>
 * Objects live in memory. Faults for tests: {@link #failRequest} (503 or a dropped connection before or after the
 * request is applied, or a connection dropped mid-upload), {@link #throttle(int)} (every request answered 429 or
 * 503), {@link #denyAll(int)} (401 or 403), {@link #latency(Duration)}. Not covered: authentication, ACLs and IAM,
 * object versioning (only the live generation exists), rewrite, compose, copy, XML API, signed URLs, notifications,
 * customer-supplied encryption keys, gzip transcoding of stored objects.
 */
public final class GcsTestServer implements AutoCloseable {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (?:(\\d+)-(\\d+)|\\*)/(\\d+|\\*)");
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  static {
    // Without it the JDK server delays small responses by ~45 ms (Nagle + delayed ACK).
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HttpServer http;
  private final ExecutorService executor;
  private final Object lock = new Object();
  private final Map<String, Bucket> buckets = new TreeMap<>();
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final AtomicLong lastGeneration = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicReference<Armed> armed = new AtomicReference<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private volatile int throttleStatus;
  private volatile int denyStatus;
  private volatile long latencyNanos;
  private volatile boolean stopped;

  private GcsTestServer(HttpServer http, ExecutorService executor) {
    this.http = http;
    this.executor = executor;
  }

  /** Starts a server on 127.0.0.1 and an ephemeral port. */
  public static GcsTestServer start() throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "gcs-test-server-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    GcsTestServer server = new GcsTestServer(http, executor);
    http.setExecutor(executor);
    http.createContext("/", server::handle);
    http.start();
    return server;
  }

  /** The port it listens on. */
  public int port() {
    return http.getAddress().getPort();
  }

  /** The value for {@code StorageOptions.Builder.setHost}: {@code http://127.0.0.1:PORT}. */
  public String host() {
    return "http://127.0.0.1:" + port();
  }

  /** Creates a bucket directly (no request); does nothing if it exists. */
  public void createBucket(String name) {
    synchronized (lock) {
      buckets.computeIfAbsent(name, Bucket::new);
    }
  }

  /** Names of the live objects of a bucket, in order (empty if the bucket does not exist). */
  public List<String> objectNames(String bucket) {
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      return b == null ? List.of() : new ArrayList<>(b.objects.keySet());
    }
  }

  /** Resumable upload sessions started and neither finalized nor failed nor cancelled. */
  public int openUploadSessions() {
    return (int) sessions.values().stream().filter(s -> s.state == Session.State.OPEN).count();
  }

  /** Requests received since start (or {@link #resetCounters()}). */
  public long requests() {
    return requests.get();
  }

  /** The request lines ({@code METHOD path?query}) since start or {@link #resetCounters()}, in arrival order. */
  public List<String> requestLog() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  /** Resets {@link #requests()} and {@link #requestLog()}. */
  public void resetCounters() {
    requests.set(0);
    log.clear();
  }

  /**
   * Makes the {@code n}-th request from now (1-based) fail once with {@code fault}. Replaces any armed fault.
   */
  public void failRequest(long n, Fault fault) {
    failRequest(n, fault, line -> true);
  }

  /**
   * Makes the {@code n}-th request from now whose request line ({@code METHOD path?query}) matches {@code which}
   * fail once with {@code fault}. Replaces any armed fault.
   */
  public void failRequest(long n, Fault fault, Predicate<String> which) {
    if (n < 1) {
      throw new IllegalArgumentException("n (" + n + ") must be at least 1");
    }
    armed.set(new Armed(n, fault, which));
  }

  /** Whether an armed fault has not fired yet. */
  public boolean faultPending() {
    return armed.get() != null;
  }

  /** Answers every request with {@code status} (429 or 503) until called with 0. */
  public void throttle(int status) {
    if (status != 0 && status != 429 && status != 503) {
      throw new IllegalArgumentException("status (" + status + ") must be 0, 429 or 503");
    }
    throttleStatus = status;
  }

  /** Rejects every request with {@code status} (401 or 403) until called with 0. */
  public void denyAll(int status) {
    if (status != 0 && status != 401 && status != 403) {
      throw new IllegalArgumentException("status (" + status + ") must be 0, 401 or 403");
    }
    denyStatus = status;
  }

  /** Delays every request by {@code delay} before handling it. */
  public void latency(Duration delay) {
    latencyNanos = delay.toNanos();
  }

  /** Clears armed faults, throttling, denial and latency. */
  public void clearFaults() {
    armed.set(null);
    throttleStatus = 0;
    denyStatus = 0;
    latencyNanos = 0;
  }

  /** Stops listening (later connections are refused) and ends the server's threads. Idempotent. */
  @Override
  public void close() {
    if (!stopped) {
      stopped = true;
      http.stop(0);
      executor.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------- dispatch

  private void handle(HttpExchange ex) throws IOException {
    try {
      String line = ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath()
          + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
      requests.incrementAndGet();
      log.add(line);
      Fault fault = takeFault(line);
      long delay = latencyNanos;
      if (delay > 0) {
        Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
      }
      Request req = new Request(ex, readBody(ex));
      if (fault != null && !fault.applies) {
        if (fault == Fault.DROP_MID_UPLOAD && req.isResumableChunk()) {
          req.truncateChunkToHalf();
          route(req);
        }
        if (fault.drops) {
          ex.close(); // closing before the response headers were sent closes the connection
        } else {
          send(ex, error(503, "backendError", "injected fault: service unavailable"));
        }
        return;
      }
      Response res = admission();
      if (res == null) {
        res = route(req);
      }
      if (fault != null) {
        if (fault.drops) {
          ex.close();
        } else {
          send(ex, error(503, "backendError", "injected fault: response lost after success"));
        }
        return;
      }
      send(ex, res);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.close();
    } catch (RuntimeException | IOException e) {
      try {
        send(ex, error(500, "internalError", "test server failed: " + e));
      } catch (IOException | RuntimeException ignored) {
        ex.close();
      }
    }
  }

  private Fault takeFault(String line) {
    while (true) {
      Armed a = armed.get();
      if (a == null || !a.which.test(line)) {
        return null;
      }
      if (a.seen.incrementAndGet() != a.n) {
        return null;
      }
      if (armed.compareAndSet(a, null)) {
        return a.fault;
      }
    }
  }

  private Response admission() {
    if (denyStatus == 401) {
      return error(401, "required", "Anonymous caller does not have storage.objects.get access (test server "
          + "denies every request)");
    }
    if (denyStatus == 403) {
      return error(403, "forbidden", "caller does not have storage.objects access (test server denies every "
          + "request)");
    }
    if (throttleStatus != 0) {
      return error(throttleStatus, throttleStatus == 429 ? "rateLimitExceeded" : "backendError",
          "test server is throttling every request");
    }
    return null;
  }

  private Response route(Request req) throws IOException {
    String path = req.path;
    if (path.startsWith("/download/storage/v1/")) {
      path = path.substring("/download".length());
    }
    List<String> seg = segments(path);
    String method = req.method;
    boolean upload = path.startsWith("/upload/storage/v1/");
    if (!upload && seg.size() >= 2 && seg.get(0).equals("storage") && seg.get(1).equals("v1")) {
      seg = seg.subList(2, seg.size());
      if (seg.size() == 1 && seg.get(0).equals("b") && method.equals("POST")) {
        return insertBucket(req);
      }
      if (seg.size() == 2 && seg.get(0).equals("b")) {
        return method.equals("GET") ? getBucket(seg.get(1)) : method.equals("DELETE") ? deleteBucket(seg.get(1))
            : unsupported(req);
      }
      if (seg.size() == 3 && seg.get(0).equals("b") && seg.get(2).equals("o") && method.equals("GET")) {
        return list(req, seg.get(1));
      }
      if (seg.size() == 4 && seg.get(0).equals("b") && seg.get(2).equals("o")) {
        switch (method) {
          case "GET":
            return "media".equals(req.query("alt")) ? media(req, seg.get(1), seg.get(3))
                : metadata(req, seg.get(1), seg.get(3));
          case "DELETE":
            return deleteObject(req, seg.get(1), seg.get(3));
          case "PATCH":
          case "PUT":
            return patch(req, seg.get(1), seg.get(3));
          default:
            return unsupported(req);
        }
      }
    } else if (upload && seg.size() == 6 && seg.get(3).equals("b") && seg.get(5).equals("o")) {
      String bucket = seg.get(4);
      String type = req.query("uploadType");
      if (method.equals("POST") && "media".equals(type)) {
        return simpleUpload(req, bucket);
      }
      if (method.equals("POST") && "multipart".equals(type)) {
        return multipartUpload(req, bucket);
      }
      if (method.equals("POST") && "resumable".equals(type)) {
        return startResumable(req, bucket);
      }
      if (method.equals("PUT") && req.query("upload_id") != null) {
        return resumableChunk(req);
      }
      if (method.equals("DELETE") && req.query("upload_id") != null) {
        return cancelResumable(req);
      }
    }
    return unsupported(req);
  }

  private static Response unsupported(Request req) {
    return error(501, "notImplemented", "the GCS test server does not implement " + req.method + " " + req.path);
  }

  // ---------------------------------------------------------------------------------------------- buckets

  private Response insertBucket(Request req) {
    JsonObject body = req.json();
    String name = string(body, "name");
    if (name == null || name.isEmpty()) {
      return error(400, "required", "Required field 'name' is missing");
    }
    synchronized (lock) {
      if (buckets.containsKey(name)) {
        return error(409, "conflict", "Your previous request to create the named bucket succeeded and you already "
            + "own it.");
      }
      Bucket b = new Bucket(name);
      buckets.put(name, b);
      return json(200, b.toJson());
    }
  }

  private Response getBucket(String name) {
    synchronized (lock) {
      Bucket b = buckets.get(name);
      return b == null ? noBucket(name) : json(200, b.toJson());
    }
  }

  private Response deleteBucket(String name) {
    synchronized (lock) {
      Bucket b = buckets.get(name);
      if (b == null) {
        return noBucket(name);
      }
      if (!b.objects.isEmpty()) {
        return error(409, "conflict", "The bucket you tried to delete is not empty.");
      }
      buckets.remove(name);
      return new Response(204);
    }
  }

  private static Response noBucket(String name) {
    return error(404, "notFound", "The specified bucket does not exist.");
  }

  // ---------------------------------------------------------------------------------------------- reads

  private Response metadata(Request req, String bucket, String name) {
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      Obj o = selected(b, name, req);
      if (o == null) {
        return noObject(bucket, name);
      }
      Response failed = checkRead(o, req);
      return failed != null ? failed : json(200, o.toJson(req.baseUrl()));
    }
  }

  private Response media(Request req, String bucket, String name) {
    Obj o;
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      o = selected(b, name, req);
      if (o == null) {
        return noObject(bucket, name);
      }
      Response failed = checkRead(o, req);
      if (failed != null) {
        return failed;
      }
    }
    long size = o.data.length;
    long from = 0;
    long to = size - 1;
    boolean partial = false;
    String range = req.header("Range");
    if (range != null) {
      Matcher m = RANGE.matcher(range.trim());
      if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
        return error(400, "invalid", "invalid Range header: " + range);
      }
      if (m.group(1).isEmpty()) { // suffix range: the last N bytes
        from = Math.max(0, size - Long.parseLong(m.group(2)));
      } else {
        from = Long.parseLong(m.group(1));
        if (!m.group(2).isEmpty()) {
          to = Math.min(to, Long.parseLong(m.group(2)));
        }
      }
      if (size > 0 && from >= size) {
        Response r = error(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
        r.headers.put("Content-Range", "bytes */" + size);
        return r;
      }
      partial = size > 0;
    }
    Response r = new Response(partial ? 206 : 200);
    r.body = size == 0 ? new byte[0] : java.util.Arrays.copyOfRange(o.data, (int) from, (int) to + 1);
    r.headers.put("Content-Type", o.contentType);
    if (partial) {
      r.headers.put("Content-Range", "bytes " + from + "-" + to + "/" + size);
    }
    r.headers.put("Accept-Ranges", "bytes");
    r.headers.put("ETag", "\"" + o.etag() + "\"");
    r.headers.put("x-goog-generation", Long.toString(o.generation));
    r.headers.put("x-goog-metageneration", Long.toString(o.metageneration));
    r.headers.put("x-goog-stored-content-length", Long.toString(size));
    r.headers.put("x-goog-stored-content-encoding", "identity");
    r.headers.put("x-goog-storage-class", "STANDARD");
    r.headers.put("x-goog-hash", "crc32c=" + o.crc32c + ",md5=" + o.md5);
    return r;
  }

  private Response list(Request req, String bucket) {
    String prefix = req.query("prefix") == null ? "" : req.query("prefix");
    String delimiter = req.query("delimiter");
    int max = 1000;
    if (req.query("maxResults") != null) {
      max = Math.max(1, Math.min(1000, Integer.parseInt(req.query("maxResults"))));
    }
    String start = prefix;
    if (req.query("pageToken") != null) {
      start = new String(Base64.getUrlDecoder().decode(req.query("pageToken")), StandardCharsets.UTF_8);
    }
    if (req.query("startOffset") != null && req.query("startOffset").compareTo(start) > 0) {
      start = req.query("startOffset");
    }
    String end = req.query("endOffset");
    JsonObject out = new JsonObject();
    out.addProperty("kind", "storage#objects");
    com.google.gson.JsonArray items = new com.google.gson.JsonArray();
    TreeSet<String> prefixes = new TreeSet<>();
    String next = null;
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      NavigableMap<String, Obj> tail = b.objects.tailMap(start, true);
      int count = 0;
      String cursor = null;
      for (Map.Entry<String, Obj> e : tail.entrySet()) {
        String name = e.getKey();
        if (cursor != null && name.compareTo(cursor) < 0) {
          continue; // inside a prefix group already reported
        }
        if (!name.startsWith(prefix) || (end != null && name.compareTo(end) >= 0)) {
          break;
        }
        if (count == max) {
          next = name;
          break;
        }
        int d = delimiter == null || delimiter.isEmpty() ? -1 : name.indexOf(delimiter, prefix.length());
        if (d >= 0) {
          String group = name.substring(0, d + delimiter.length());
          prefixes.add(group);
          cursor = group + Character.MAX_VALUE;
        } else {
          items.add(e.getValue().toJson(req.baseUrl()));
        }
        count++;
      }
    }
    if (items.size() > 0) {
      out.add("items", items);
    }
    if (!prefixes.isEmpty()) {
      com.google.gson.JsonArray p = new com.google.gson.JsonArray();
      prefixes.forEach(p::add);
      out.add("prefixes", p);
    }
    if (next != null) {
      out.addProperty("nextPageToken", Base64.getUrlEncoder().withoutPadding()
          .encodeToString(next.getBytes(StandardCharsets.UTF_8)));
    }
    return json(200, out);
  }

  // ---------------------------------------------------------------------------------------------- writes

  private Response deleteObject(Request req, String bucket, String name) {
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      Obj o = selected(b, name, req);
      if (o == null) {
        return noObject(bucket, name);
      }
      Response failed = checkWrite(o, req.query);
      if (failed != null) {
        return failed;
      }
      b.objects.remove(name);
      return new Response(204);
    }
  }

  private Response patch(Request req, String bucket, String name) {
    JsonObject body = req.json();
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      Obj o = selected(b, name, req);
      if (o == null) {
        return noObject(bucket, name);
      }
      Response failed = checkWrite(o, req.query);
      if (failed != null) {
        return failed;
      }
      Map<String, String> metadata = new TreeMap<>(o.metadata);
      if (body.has("metadata")) {
        if (body.get("metadata").isJsonNull()) {
          metadata.clear();
        } else {
          for (Map.Entry<String, JsonElement> e : body.getAsJsonObject("metadata").entrySet()) {
            if (e.getValue().isJsonNull()) {
              metadata.remove(e.getKey());
            } else {
              metadata.put(e.getKey(), e.getValue().getAsString());
            }
          }
        }
      }
      String contentType = string(body, "contentType") != null ? string(body, "contentType") : o.contentType;
      Obj updated = new Obj(bucket, name, o.data, o.generation, o.metageneration + 1, contentType, metadata,
          o.created, Instant.now(), o.crc32c, o.md5);
      b.objects.put(name, updated);
      return json(200, updated.toJson(req.baseUrl()));
    }
  }

  private Response simpleUpload(Request req, String bucket) {
    String name = req.query("name");
    if (name == null || name.isEmpty()) {
      return error(400, "required", "Required parameter 'name' is missing");
    }
    String type = req.header("Content-Type");
    return insert(req, bucket, name, req.body, type, Map.of(), null, null, req.query);
  }

  private Response multipartUpload(Request req, String bucket) {
    String type = req.header("Content-Type");
    Matcher bm = type == null ? null : Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(type);
    if (type == null || !type.toLowerCase().startsWith("multipart/related") || !bm.find()) {
      return error(400, "invalid", "multipart upload needs Content-Type multipart/related with a boundary");
    }
    List<Part> parts = Part.split(req.body, bm.group(1));
    if (parts.size() != 2) {
      return error(400, "invalid", "multipart upload needs exactly 2 parts (metadata, media), got "
          + parts.size());
    }
    JsonObject meta = JsonParser.parseString(new String(parts.get(0).body, StandardCharsets.UTF_8))
        .getAsJsonObject();
    String name = string(meta, "name") != null ? string(meta, "name") : req.query("name");
    if (name == null || name.isEmpty()) {
      return error(400, "required", "Required field 'name' is missing");
    }
    String contentType = string(meta, "contentType") != null ? string(meta, "contentType")
        : parts.get(1).headers.get("content-type");
    return insert(req, bucket, name, parts.get(1).body, contentType, metadataOf(meta), string(meta, "crc32c"),
        string(meta, "md5Hash"), req.query);
  }

  private Response insert(Request req, String bucket, String name, byte[] data, String contentType,
      Map<String, String> metadata, String crc32c, String md5, Map<String, String> preconditions) {
    String actualCrc = crc32c(data);
    String actualMd5 = md5(data);
    if (crc32c != null && !crc32c.equals(actualCrc) || md5 != null && !md5.equals(actualMd5)) {
      return error(400, "invalid", "Provided CRC32C \"" + crc32c + "\" / MD5 \"" + md5 + "\" doesn't match "
          + "calculated CRC32C \"" + actualCrc + "\" / MD5 \"" + actualMd5 + "\".");
    }
    synchronized (lock) {
      Bucket b = buckets.get(bucket);
      if (b == null) {
        return noBucket(bucket);
      }
      Response failed = checkWrite(b.objects.get(name), preconditions);
      if (failed != null) {
        return failed;
      }
      Instant now = Instant.now();
      Obj o = new Obj(bucket, name, data, nextGeneration(), 1, contentType == null ? "application/octet-stream"
          : contentType, metadata, now, now, actualCrc, actualMd5);
      b.objects.put(name, o);
      return json(200, o.toJson(req.baseUrl()));
    }
  }

  private Response startResumable(Request req, String bucket) {
    JsonObject meta = req.body.length == 0 ? new JsonObject() : req.json();
    String name = string(meta, "name") != null ? string(meta, "name") : req.query("name");
    if (name == null || name.isEmpty()) {
      return error(400, "required", "Required field 'name' is missing");
    }
    synchronized (lock) {
      if (!buckets.containsKey(bucket)) {
        return noBucket(bucket);
      }
    }
    Session s = new Session(UUID.randomUUID().toString().replace("-", ""), bucket, name, meta,
        Map.copyOf(req.query));
    sessions.put(s.id, s);
    Response r = new Response(200);
    r.headers.put("Location", req.baseUrl() + "/upload/storage/v1/b/" + encode(bucket)
        + "/o?uploadType=resumable&upload_id=" + s.id);
    r.headers.put("X-GUploader-UploadID", s.id);
    return r;
  }

  private Response resumableChunk(Request req) {
    Session s = sessions.get(req.query("upload_id"));
    if (s == null) {
      return error(404, "notFound", "No such upload session");
    }
    String cr = req.header("Content-Range");
    Matcher m = cr == null ? null : CONTENT_RANGE.matcher(cr.trim());
    if (m == null || !m.matches()) {
      return error(400, "invalid", "resumable upload chunk needs Content-Range 'bytes a-b/total|*' or "
          + "'bytes */total|*', got " + cr);
    }
    synchronized (s) {
      switch (s.state) {
        case DONE:
          return json(200, s.result);
        case FAILED:
          return s.failure;
        case CANCELLED:
          return error(499, "clientClosedRequest", "the upload session was cancelled");
        default:
          break;
      }
      if (m.group(1) != null) {
        long a = Long.parseLong(m.group(1));
        long b = Long.parseLong(m.group(2));
        if (b - a + 1 != req.body.length) {
          return error(400, "invalid", "Content-Range " + cr + " does not match the body length "
              + req.body.length);
        }
        if (a > s.size) {
          return error(400, "invalid", "Invalid request. According to the Content-Range header, the upload offset "
              + "is " + a + " byte(s), which exceeds already uploaded size of " + s.size + " byte(s).");
        }
        int skip = (int) (s.size - a);
        if (skip < req.body.length) {
          s.append(req.body, skip, req.body.length - skip);
        }
      } else if (req.body.length != 0) {
        return error(400, "invalid", "a Content-Range without a byte range must come without a body");
      }
      if (!m.group(3).equals("*")) {
        long total = Long.parseLong(m.group(3));
        if (s.size > total) {
          return error(400, "invalid", "more bytes uploaded (" + s.size + ") than the declared total " + total);
        }
        if (s.size == total) {
          return finalizeSession(req, s);
        }
      }
      Response r = new Response(308);
      if (s.size > 0) {
        r.headers.put("Range", "bytes=0-" + (s.size - 1));
      }
      return r;
    }
  }

  /** Called holding the session's monitor. */
  private Response finalizeSession(Request req, Session s) {
    byte[] data = s.bytes();
    Response r = insert(req, s.bucket, s.name, data, string(s.meta, "contentType"), metadataOf(s.meta),
        string(s.meta, "crc32c"), string(s.meta, "md5Hash"), s.preconditions);
    if (r.status == 200) {
      s.state = Session.State.DONE;
      s.result = JsonParser.parseString(new String(r.body, StandardCharsets.UTF_8)).getAsJsonObject();
    } else {
      s.state = Session.State.FAILED;
      s.failure = r;
    }
    s.release();
    return r;
  }

  private Response cancelResumable(Request req) {
    Session s = sessions.get(req.query("upload_id"));
    if (s == null) {
      return error(404, "notFound", "No such upload session");
    }
    synchronized (s) {
      if (s.state == Session.State.OPEN) {
        s.state = Session.State.CANCELLED;
        s.release();
      }
    }
    return error(499, "clientClosedRequest", "the upload session was cancelled");
  }

  // ---------------------------------------------------------------------------------------------- preconditions

  private static Obj selected(Bucket b, String name, Request req) {
    Obj o = b.objects.get(name);
    String gen = req.query("generation");
    if (o != null && gen != null && Long.parseLong(gen) != o.generation) {
      return null; // only the live generation is kept
    }
    return o;
  }

  /** Preconditions of a read: the not-match ones answer 304 Not Modified, as GCS does. */
  private static Response checkRead(Obj o, Request req) {
    Map<String, String> q = req.query;
    if (q.containsKey("ifGenerationMatch") && Long.parseLong(q.get("ifGenerationMatch")) != o.generation
        || q.containsKey("ifMetagenerationMatch")
        && Long.parseLong(q.get("ifMetagenerationMatch")) != o.metageneration) {
      return conditionNotMet();
    }
    if (q.containsKey("ifGenerationNotMatch") && Long.parseLong(q.get("ifGenerationNotMatch")) == o.generation
        || q.containsKey("ifMetagenerationNotMatch")
        && Long.parseLong(q.get("ifMetagenerationNotMatch")) == o.metageneration) {
      return new Response(304);
    }
    return null;
  }

  /** Preconditions of a write against the live object ({@code null} if none); called holding the lock. */
  private static Response checkWrite(Obj live, Map<String, String> q) {
    long generation = live == null ? 0 : live.generation;
    if (q.containsKey("ifGenerationMatch") && Long.parseLong(q.get("ifGenerationMatch")) != generation) {
      return conditionNotMet();
    }
    if (q.containsKey("ifGenerationNotMatch") && Long.parseLong(q.get("ifGenerationNotMatch")) == generation) {
      return conditionNotMet();
    }
    if (q.containsKey("ifMetagenerationMatch") && (live == null
        || Long.parseLong(q.get("ifMetagenerationMatch")) != live.metageneration)) {
      return conditionNotMet();
    }
    if (q.containsKey("ifMetagenerationNotMatch") && (live == null
        || Long.parseLong(q.get("ifMetagenerationNotMatch")) == live.metageneration)) {
      return conditionNotMet();
    }
    return null;
  }

  private static Response conditionNotMet() {
    return error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
  }

  private static Response noObject(String bucket, String name) {
    return error(404, "notFound", "No such object: " + bucket + "/" + name);
  }

  private long nextGeneration() {
    long now = System.currentTimeMillis() * 1000;
    return lastGeneration.updateAndGet(last -> Math.max(last + 1, now));
  }

  // ---------------------------------------------------------------------------------------------- plumbing

  private static byte[] readBody(HttpExchange ex) throws IOException {
    try (InputStream raw = ex.getRequestBody()) {
      byte[] bytes = raw.readAllBytes();
      String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
      if (enc != null && enc.trim().equalsIgnoreCase("gzip") && bytes.length > 0) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
          return in.readAllBytes();
        }
      }
      return bytes;
    }
  }

  private static void send(HttpExchange ex, Response r) throws IOException {
    r.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    boolean noBody = r.body == null || r.body.length == 0 || ex.getRequestMethod().equals("HEAD");
    // -1: no body; 0 would mean a chunked body of unknown length
    ex.sendResponseHeaders(r.status, noBody ? -1 : r.body.length);
    if (!noBody) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(r.body);
      }
    }
    ex.close();
  }

  private static Response json(int status, JsonObject body) {
    Response r = new Response(status);
    r.headers.put("Content-Type", "application/json; charset=UTF-8");
    r.body = body.toString().getBytes(StandardCharsets.UTF_8);
    return r;
  }

  static Response error(int status, String reason, String message) {
    JsonObject detail = new JsonObject();
    detail.addProperty("message", message);
    detail.addProperty("domain", "global");
    detail.addProperty("reason", reason);
    com.google.gson.JsonArray errors = new com.google.gson.JsonArray();
    errors.add(detail);
    JsonObject error = new JsonObject();
    error.addProperty("code", status);
    error.addProperty("message", message);
    error.add("errors", errors);
    JsonObject body = new JsonObject();
    body.add("error", error);
    return json(status, body);
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(decode(s));
      }
    }
    return out;
  }

  /** Percent-decoding of a path segment ({@code +} stays a plus). */
  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  private static Map<String, String> metadataOf(JsonObject meta) {
    Map<String, String> out = new TreeMap<>();
    if (meta.has("metadata") && meta.get("metadata").isJsonObject()) {
      for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject("metadata").entrySet()) {
        if (!e.getValue().isJsonNull()) {
          out.put(e.getKey(), e.getValue().getAsString());
        }
      }
    }
    return out;
  }

  static String crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  static String md5(byte[] data) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Armed {
    final long n;
    final Fault fault;
    final Predicate<String> which;
    final AtomicLong seen = new AtomicLong();

    Armed(long n, Fault fault, Predicate<String> which) {
      this.n = n;
      this.fault = fault;
      this.which = which;
    }
  }

  private static final class Bucket {
    final String name;
    final Instant created = Instant.now();
    final TreeMap<String, Obj> objects = new TreeMap<>();

    Bucket(String name) {
      this.name = name;
    }

    JsonObject toJson() {
      JsonObject j = new JsonObject();
      j.addProperty("kind", "storage#bucket");
      j.addProperty("id", name);
      j.addProperty("name", name);
      j.addProperty("projectNumber", "0");
      j.addProperty("metageneration", "1");
      j.addProperty("location", "US");
      j.addProperty("locationType", "multi-region");
      j.addProperty("storageClass", "STANDARD");
      j.addProperty("etag", "CAE=");
      j.addProperty("timeCreated", created.toString());
      j.addProperty("updated", created.toString());
      return j;
    }
  }

  private static final class Obj {
    final String bucket;
    final String name;
    final byte[] data;
    final long generation;
    final long metageneration;
    final String contentType;
    final Map<String, String> metadata;
    final Instant created;
    final Instant updated;
    final String crc32c;
    final String md5;

    Obj(String bucket, String name, byte[] data, long generation, long metageneration, String contentType,
        Map<String, String> metadata, Instant created, Instant updated, String crc32c, String md5) {
      this.bucket = bucket;
      this.name = name;
      this.data = data;
      this.generation = generation;
      this.metageneration = metageneration;
      this.contentType = contentType;
      this.metadata = Map.copyOf(metadata);
      this.created = created;
      this.updated = updated;
      this.crc32c = crc32c;
      this.md5 = md5;
    }

    String etag() {
      return Base64.getEncoder().encodeToString((generation + "/" + metageneration).getBytes(
          StandardCharsets.US_ASCII));
    }

    JsonObject toJson(String base) {
      JsonObject j = new JsonObject();
      j.addProperty("kind", "storage#object");
      j.addProperty("id", bucket + "/" + name + "/" + generation);
      j.addProperty("selfLink", base + "/storage/v1/b/" + encode(bucket) + "/o/" + encode(name));
      j.addProperty("mediaLink", base + "/download/storage/v1/b/" + encode(bucket) + "/o/" + encode(name)
          + "?generation=" + generation + "&alt=media");
      j.addProperty("name", name);
      j.addProperty("bucket", bucket);
      j.addProperty("generation", Long.toString(generation));
      j.addProperty("metageneration", Long.toString(metageneration));
      j.addProperty("contentType", contentType);
      j.addProperty("storageClass", "STANDARD");
      j.addProperty("size", Long.toString(data.length));
      j.addProperty("md5Hash", md5);
      j.addProperty("crc32c", crc32c);
      j.addProperty("etag", etag());
      j.addProperty("timeCreated", created.toString());
      j.addProperty("updated", updated.toString());
      j.addProperty("timeStorageClassUpdated", created.toString());
      if (!metadata.isEmpty()) {
        JsonObject m = new JsonObject();
        metadata.forEach(m::addProperty);
        j.add("metadata", m);
      }
      return j;
    }
  }

  private static final class Session {
    enum State { OPEN, DONE, FAILED, CANCELLED }

    final String id;
    final String bucket;
    final String name;
    final JsonObject meta;
    final Map<String, String> preconditions;
    State state = State.OPEN;
    JsonObject result;
    Response failure;
    private byte[] buf = new byte[0];
    int size;

    Session(String id, String bucket, String name, JsonObject meta, Map<String, String> preconditions) {
      this.id = id;
      this.bucket = bucket;
      this.name = name;
      this.meta = meta;
      this.preconditions = preconditions;
    }

    void append(byte[] b, int off, int len) {
      if (size + len > buf.length) {
        int doubled = (int) Math.min(Integer.MAX_VALUE - 8, buf.length * 2L);
        buf = java.util.Arrays.copyOf(buf, Math.max(size + len, doubled));
      }
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    byte[] bytes() {
      return java.util.Arrays.copyOf(buf, size);
    }

    void release() {
      buf = new byte[0];
    }
  }

  private static final class Request {
    final HttpExchange ex;
    final String method;
    final String path;
    final Map<String, String> query;
    byte[] body;
    private String contentRange;

    Request(HttpExchange ex, byte[] body) {
      this.ex = ex;
      String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
      this.method = override != null && ex.getRequestMethod().equals("POST") ? override.toUpperCase()
          : ex.getRequestMethod();
      this.path = ex.getRequestURI().getRawPath();
      this.query = parseQuery(ex.getRequestURI().getRawQuery());
      this.body = body;
      this.contentRange = ex.getRequestHeaders().getFirst("Content-Range");
    }

    String query(String name) {
      return query.get(name);
    }

    String header(String name) {
      return name.equalsIgnoreCase("Content-Range") ? contentRange : ex.getRequestHeaders().getFirst(name);
    }

    String baseUrl() {
      String host = ex.getRequestHeaders().getFirst("Host");
      return "http://" + (host == null ? "127.0.0.1:" + ex.getLocalAddress().getPort() : host);
    }

    JsonObject json() {
      return body.length == 0 ? new JsonObject()
          : JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    boolean isResumableChunk() {
      return method.equals("PUT") && query.containsKey("upload_id") && body.length > 1 && contentRange != null
          && CONTENT_RANGE.matcher(contentRange.trim()).matches();
    }

    /** Keeps the first half of a chunk, as if the connection broke after it; the upload stays unfinished. */
    void truncateChunkToHalf() {
      Matcher m = CONTENT_RANGE.matcher(contentRange.trim());
      if (!m.matches() || m.group(1) == null) {
        return;
      }
      long a = Long.parseLong(m.group(1));
      int half = body.length / 2;
      body = java.util.Arrays.copyOf(body, half);
      contentRange = "bytes " + a + "-" + (a + half - 1) + "/*";
    }

    private static Map<String, String> parseQuery(String raw) {
      Map<String, String> q = new LinkedHashMap<>();
      if (raw == null || raw.isEmpty()) {
        return q;
      }
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        q.put(k, v);
      }
      return q;
    }
  }

  static final class Response {
    final int status;
    final Map<String, String> headers = new LinkedHashMap<>();
    byte[] body;

    Response(int status) {
      this.status = status;
    }
  }

  /** One part of a multipart/related body. */
  private static final class Part {
    final Map<String, String> headers = new TreeMap<>();
    byte[] body;

    static List<Part> split(byte[] all, String boundary) {
      byte[] delim = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
      List<Part> parts = new ArrayList<>();
      int pos = indexOf(all, delim, 0);
      while (pos >= 0) {
        int start = pos + delim.length;
        if (start + 1 < all.length && all[start] == '-' && all[start + 1] == '-') {
          break; // closing delimiter
        }
        start = skipCrlf(all, start);
        int next = indexOf(all, delim, start);
        if (next < 0) {
          break;
        }
        int end = next;
        if (end >= 2 && all[end - 2] == '\r' && all[end - 1] == '\n') {
          end -= 2;
        } else if (end >= 1 && all[end - 1] == '\n') {
          end -= 1;
        }
        parts.add(parse(all, start, end));
        pos = next;
      }
      return parts;
    }

    private static Part parse(byte[] all, int start, int end) {
      Part p = new Part();
      int i = start;
      while (i < end) {
        int eol = i;
        while (eol < end && all[eol] != '\n') {
          eol++;
        }
        String line = new String(all, i, eol - i, StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
        i = Math.min(eol + 1, end);
        if (line.isEmpty()) {
          break;
        }
        int colon = line.indexOf(':');
        if (colon > 0) {
          p.headers.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
        }
      }
      p.body = java.util.Arrays.copyOfRange(all, i, Math.max(i, end));
      return p;
    }

    private static int skipCrlf(byte[] a, int i) {
      if (i < a.length && a[i] == '\r') {
        i++;
      }
      if (i < a.length && a[i] == '\n') {
        i++;
      }
      return i;
    }

    private static int indexOf(byte[] a, byte[] b, int from) {
      outer:
      for (int i = from; i <= a.length - b.length; i++) {
        for (int j = 0; j < b.length; j++) {
          if (a[i + j] != b[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
