package org.ckpt4j.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.ckpt4j.spi.StoreOptions;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy in this JVM on a loopback port, storing objects with its
 * {@code filesystem-nio2} store under a directory (durable across the SIGKILL of a client process), with its own
 * credentials. One per test class; {@link #close()} stops it. Public, in this module's test-jar, for the command
 * line's launcher tests.
 */
public final class S3TestServer implements AutoCloseable {
  /** The access key of {@link #start(Path)}. */
  public static final String ACCESS_KEY = "ckpt4j-test-access";
  /** Distinctive, so that tests can scan messages and logs for it. */
  public static final String SECRET_KEY = "ckpt4jSecretKEY-do-not-log-7Qz9";

  final String accessKey;
  final String secretKey;
  final Path dir;
  /** Fails the N-th storage call when armed (the TCK's transport fault hook); disarmed it only counts. */
  final FaultyBlobStore faults;
  private final S3Proxy proxy;
  private S3Client client;

  private S3TestServer(Path dir, String accessKey, String secretKey, FaultyBlobStore faults, S3Proxy proxy) {
    this.dir = dir;
    this.faults = faults;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.proxy = proxy;
  }

  /** Starts a server storing under {@code dir}, on a free loopback port, with the default credentials. */
  public static S3TestServer start(Path dir) throws Exception {
    return start(dir, ACCESS_KEY, SECRET_KEY, 0);
  }

  /** Starts a server on {@code port} (0 for any free one). */
  static S3TestServer start(Path dir, String accessKey, String secretKey, int port) throws Exception {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    FaultyBlobStore faults = new FaultyBlobStore(BlobStores.create("filesystem-nio2", props));
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(faults)
        .endpoint(URI.create("http://127.0.0.1:" + port))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    return new S3TestServer(dir, accessKey, secretKey, faults, proxy);
  }

  int port() {
    return proxy.getPort();
  }

  /** {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** A plain SDK client with this server's credentials, for setting up and inspecting. */
  public synchronized S3Client client() {
    if (client == null) {
      client = S3Client.builder().endpointOverride(endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
          .build();
    }
    return client;
  }

  /** Creates a bucket through the S3 API. */
  public S3TestServer createBucket(String bucket) {
    client().createBucket(b -> b.bucket(bucket));
    return this;
  }

  /** Options reaching this server with its credentials; few retries and short timeouts keep failing tests fast. */
  StoreOptions.Builder configure(StoreOptions.Builder b) {
    return b.property("s3.endpoint", endpoint().toString())
        .property("s3.access-key", accessKey)
        .property("s3.secret-key", secretKey)
        .property("s3.region", "us-east-1")
        .property("s3.max-attempts", "2")
        .property("s3.connect-timeout", "2s")
        .property("s3.read-timeout", "20s");
  }

  StoreOptions options(String owner) {
    return configure(StoreOptions.forOwner(owner)).build();
  }

  S3ObjectStore objects(String uri, StoreOptions options) throws IOException {
    return S3StoreProvider.objects(URI.create(uri), options);
  }

  @Override
  public synchronized void close() throws IOException {
    if (client != null) {
      client.close();
      client = null;
    }
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IOException("stopping S3Proxy", e);
    }
  }
}
