package org.ckpt4j.storage.s3;

import java.io.IOException;
import java.net.URI;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.backend.ObjectStoreProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Backup dirs on Amazon S3 and S3-compatible stores (MinIO, Ceph, Cloudflare R2, S3Proxy):
 * {@code s3://bucket/prefix}. The bucket must exist; the prefix is created by the first write.
 *
 * <p>Credentials and region come from the AWS SDK's default provider chains (environment, system properties,
 * {@code ~/.aws/config} and {@code credentials}, web identity, container and instance roles). Settings, each
 * given as an option ({@code StoreOptions.Builder.property("s3.endpoint", ...)}), a URI query parameter
 * ({@code s3://bucket/prefix?endpoint=http://127.0.0.1:9000}) or a system property
 * ({@code -Dckpt4j.s3.endpoint=...}), first match in that order:
 * <ul>
 *   <li>{@value #ENDPOINT}: the endpoint of an S3-compatible store; else the one the AWS SDK itself would use
 *       ({@code AWS_ENDPOINT_URL_S3}, {@code AWS_ENDPOINT_URL}, the AWS profile's {@code endpoint_url}, unless
 *       {@code AWS_IGNORE_CONFIGURED_ENDPOINT_URLS} is true).</li>
 *   <li>{@value #PATH_STYLE}: {@code true} for path-style requests; the default when an endpoint is set, from
 *       whichever source.</li>
 *   <li>{@value #REGION}: the region (default: the SDK chain, else {@code us-east-1} with cross-region access).</li>
 *   <li>{@value #ACCESS_KEY}, {@value #SECRET_KEY} and optionally {@code s3.session-token}: static credentials,
 *       e.g. for tests. Not accepted in the URI.</li>
 *   <li>{@code s3.max-attempts} ({@code AWS_MAX_ATTEMPTS} or the profile's, else 3; the retry mode is
 *       {@code AWS_RETRY_MODE} or the profile's, else standard), {@code s3.part-size} (8MiB), {@code s3.parallelism} (4),
 *       {@code s3.connect-timeout} (5s), {@code s3.read-timeout} (60s): retries per request, multipart part size,
 *       parts transferred at once per stream, and socket timeouts.</li>
 * </ul>
 * Errors are {@link StoreAccessException}s with a reason ({@code NOT_FOUND} for a missing bucket,
 * {@code ACCESS_DENIED}, {@code THROTTLED}, {@code UNREACHABLE}, ...) naming the {@code s3://} URI; no message or
 * log line contains a secret key.
 */
public final class S3StoreProvider extends ObjectStoreProvider {
  /** Option key of the endpoint override. */
  public static final String ENDPOINT = "s3.endpoint";
  /** Option key of path-style access ({@code true}/{@code false}). */
  public static final String PATH_STYLE = "s3.path-style";
  /** Option key of the region. */
  public static final String REGION = "s3.region";
  /** Option key of a static access key id. */
  public static final String ACCESS_KEY = "s3.access-key";
  /** Option key of a static secret access key. */
  public static final String SECRET_KEY = "s3.secret-key";

  /** Only for use by {@link java.util.ServiceLoader}. */
  public S3StoreProvider() {
    super("org.ckpt4j:ckpt4j-storage-s3", "s3");
  }

  @Override
  protected ObjectStore openObjects(URI uri, StoreOptions options) throws IOException {
    return objects(uri, options);
  }

  /** The object primitives behind {@code uri}. */
  static S3ObjectStore objects(URI uri, StoreOptions options) throws IOException {
    S3Settings settings = S3Settings.parse(uri, options);
    return new S3ObjectStore(settings, client(settings));
  }

  static S3Client client(S3Settings s) throws StoreAccessException {
    S3ClientBuilder b = S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder()
            .connectionTimeout(s.connectTimeout)
            .socketTimeout(s.readTimeout)
            .maxConnections(Math.max(16, 4 * s.parallelism)))
        // the user's retry mode (AWS_RETRY_MODE), else standard: exponential backoff with jitter, longer for
        // throttling; attempts from s3.max-attempts, else AWS_MAX_ATTEMPTS, else 3
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.forRetryMode(s.retryMode).toBuilder()
            .maxAttempts(s.maxAttempts).build()))
        .forcePathStyle(s.pathStyle)
        .credentialsProvider(credentials(s));
    s.endpoint.ifPresent(b::endpointOverride);
    Region region = s.region.map(Region::of).orElse(null);
    if (region == null) {
      try {
        region = DefaultAwsRegionProviderChain.builder().build().getRegion();
      } catch (SdkException e) {
        region = null;
      }
    }
    if (region == null) {
      // No region configured anywhere: start in us-east-1 and let the client follow the bucket's region.
      region = Region.US_EAST_1;
      b.crossRegionAccessEnabled(s.endpoint.isEmpty());
    }
    b.region(region);
    try {
      return b.build();
    } catch (SdkException e) {
      throw new StoreAccessException(s.uri, StoreAccessException.Reason.OTHER, "cannot set up the S3 client: "
          + e.getMessage(), e);
    }
  }

  private static AwsCredentialsProvider credentials(S3Settings s) {
    if (s.accessKey.isEmpty()) {
      return DefaultCredentialsProvider.builder().build();
    }
    String id = s.accessKey.get();
    String secret = s.secretKey.orElseThrow();
    return StaticCredentialsProvider.create(s.sessionToken.isPresent()
        ? AwsSessionCredentials.create(id, secret, s.sessionToken.get())
        : AwsBasicCredentials.create(id, secret));
  }
}
