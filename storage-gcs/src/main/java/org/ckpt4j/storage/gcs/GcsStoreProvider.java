package org.ckpt4j.storage.gcs;

import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.backend.ObjectStoreProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup dirs on Google Cloud Storage: {@code gs://bucket/prefix}. The bucket must exist; the prefix is created
 * by the first write. Uses the {@code google-cloud-storage} client over its HTTP/JSON transport.
 *
 * <p>Credentials and project come from Application Default Credentials ({@code GOOGLE_APPLICATION_CREDENTIALS},
 * {@code gcloud auth application-default login}, the metadata server; {@code GOOGLE_CLOUD_PROJECT}). Settings,
 * each given as an option ({@code StoreOptions.Builder.property("gs.host", ...)}), a URI query parameter
 * ({@code gs://bucket/prefix?host=http://127.0.0.1:4443}) or a system property ({@code -Dckpt4j.gs.host=...}),
 * first match in that order:
 * <ul>
 *   <li>{@value #HOST}: the endpoint of an emulator or test server; also {@code STORAGE_EMULATOR_HOST} from the
 *       environment, which then implies {@code gs.credentials=none} unless set otherwise.</li>
 *   <li>{@value #PROJECT}: the project id (object calls need none; with {@code gs.credentials=none} and no
 *       project, none is looked up).</li>
 *   <li>{@value #CREDENTIALS}: {@code default} (Application Default Credentials) or {@code none} (no
 *       credentials, for test servers and emulators).</li>
 *   <li>{@code gs.max-attempts} (6), {@code gs.retry-delay} (1s, doubling up to 32 s), {@code gs.timeout} (15s:
 *       no new attempt of a call starts after it, so that without a network a call fails within about this
 *       long), {@code gs.chunk-size} (8MiB, a multiple of 256KiB), {@code gs.connect-timeout} (5s),
 *       {@code gs.read-timeout} (60s).</li>
 * </ul>
 * Without Application Default Credentials (and without {@code gs.credentials=none}) requests are sent without
 * credentials, as the client does, but a warning is logged and access errors say so.
 * Errors are {@link StoreAccessException}s with a reason ({@code NOT_FOUND} for a missing bucket,
 * {@code ACCESS_DENIED}, {@code THROTTLED}, {@code UNREACHABLE}, ...) naming the {@code gs://} URI.
 */
public final class GcsStoreProvider extends ObjectStoreProvider {
  private static final Logger LOG = LoggerFactory.getLogger(GcsStoreProvider.class);
  /** Option key of the endpoint host. */
  public static final String HOST = "gs.host";
  /** Option key of the project id. */
  public static final String PROJECT = "gs.project";
  /** Option key of the credentials mode ({@code default} or {@code none}). */
  public static final String CREDENTIALS = "gs.credentials";

  /** The project id set when credentials are off and no project is configured (object calls send none). */
  static final String NO_PROJECT = "ckpt4j-no-project";

  /** Only for use by {@link java.util.ServiceLoader}. */
  public GcsStoreProvider() {
    super("org.ckpt4j:ckpt4j-storage-gcs", "gs");
  }

  @Override
  protected ObjectStore openObjects(URI uri, StoreOptions options) throws IOException {
    return objects(uri, options);
  }

  static GcsObjectStore objects(URI uri, StoreOptions options) throws IOException {
    GcsSettings settings = GcsSettings.parse(uri, options);
    return new GcsObjectStore(settings, client(settings));
  }

  static Storage client(GcsSettings s) throws StoreAccessException {
    return client(s, s.noCredentials ? NoCredentials.getInstance() : null);
  }

  /** The client with the given credentials; {@code null}: Application Default Credentials. */
  static Storage client(GcsSettings s, Credentials credentials) throws StoreAccessException {
    return client(s, credentials, GoogleCredentials::getApplicationDefault);
  }

  /** Loads Application Default Credentials (a parameter so that tests need not touch the real environment). */
  interface DefaultCredentials {
    Credentials load() throws IOException;
  }

  static Storage client(GcsSettings s, Credentials given, DefaultCredentials adc) throws StoreAccessException {
    Credentials credentials = given;
    if (credentials == null) {
      try {
        credentials = adc.load();
      } catch (IOException e) {
        // The client would silently send anonymous requests: do the same, but say so.
        LOG.warn("{}: no Application Default Credentials found ({}); sending requests WITHOUT credentials "
            + "(anonymous: only public buckets allow that). Set GOOGLE_APPLICATION_CREDENTIALS, run gcloud auth "
            + "application-default login, or set gs.credentials=none to choose anonymous access", s.uri,
            Redaction.redact(String.valueOf(e.getMessage())));
        credentials = NoCredentials.getInstance();
      }
    } else if (credentials instanceof NoCredentials) {
      LOG.info("{}: sending requests without credentials (gs.credentials=none) to {}", s.uri, s.endpointName());
    }
    StorageOptions.Builder b = StorageOptions.http()
        .setTransportOptions(HttpTransportOptions.newBuilder()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, s.connectTimeout.toMillis()))
            .setReadTimeout((int) Math.min(Integer.MAX_VALUE, s.readTimeout.toMillis()))
            .build())
        .setRetrySettings(RetrySettings.newBuilder()
            .setMaxAttempts(s.maxAttempts)
            .setInitialRetryDelayDuration(s.retryDelay)
            .setRetryDelayMultiplier(2.0)
            .setMaxRetryDelayDuration(Duration.ofSeconds(32).compareTo(s.retryDelay) > 0 ? Duration.ofSeconds(32)
                : s.retryDelay)
            .setTotalTimeoutDuration(s.timeout)
            .setJittered(true)
            .build());
    s.host.ifPresent(b::setHost);
    if (s.project.isPresent()) {
      b.setProjectId(s.project.get());
    } else if (credentials instanceof NoCredentials) {
      // Without a project the client looks one up, as a last resort from the GCE metadata server: never do that
      // for a test server or emulator. Object calls do not send the project.
      b.setProjectId(NO_PROJECT);
    }
    if (credentials != null) {
      b.setCredentials(credentials);
    }
    try {
      return b.build().getService();
    } catch (RuntimeException e) {
      // The message may name where credentials were looked for, never their content.
      throw new StoreAccessException(s.uri, StoreAccessException.Reason.OTHER, "cannot set up the GCS client ("
          + e.getClass().getSimpleName() + "); check Application Default Credentials or set gs.credentials=none "
          + "for a test server", e);
    }
  }
}
