package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One node's configuration file, as written by the operator (Patroni's layout where the concept is
 * the same). Bound by {@link ConfigLoader}, which rejects unknown keys and validates the whole.
 */
public record NodeConfig(
        @JsonProperty("scope") String scope,
        @JsonProperty("name") String name,
        @JsonProperty("namespace") String namespace,
        @JsonProperty("etcd") Etcd etcd,
        @JsonProperty("restapi") RestApi restapi,
        @JsonProperty("postgresql") Postgresql postgresql,
        @JsonProperty("bootstrap") Bootstrap bootstrap,
        @JsonProperty("tags") Tags tags,
        @JsonProperty("watchdog") Watchdog watchdog,
        @JsonProperty("log") Log log) {

    /** {@code type}: plain (one line of text per event, the default) or json (one JSON object per line). */
    public record Log(@JsonProperty("type") String type) {
    }

    public record Watchdog(
            @JsonProperty("mode") String mode,
            @JsonProperty("device") String device,
            @JsonProperty("safety_margin") Integer safetyMargin) {
    }

    public record Etcd(
            @JsonProperty("hosts") List<String> hosts,
            @JsonProperty("username") String username,
            @JsonProperty("password") String password,
            @JsonProperty("password_env") String passwordEnv,
            @JsonProperty("password_file") String passwordFile,
            @JsonProperty("cacert") String cacert,
            @JsonProperty("cert") String cert,
            @JsonProperty("key") String key) {
        Credential credential() {
            return new Credential(username, password, passwordEnv, passwordFile);
        }
    }

    public record RestApi(
            @JsonProperty("listen") String listen,
            @JsonProperty("connect_address") String connectAddress,
            @JsonProperty("authentication") Credential authentication,
            @JsonProperty("certfile") String certfile,
            @JsonProperty("keyfile") String keyfile,
            @JsonProperty("cafile") String cafile) {
    }

    public record Postgresql(
            @JsonProperty("data_dir") String dataDir,
            @JsonProperty("bin_dir") String binDir,
            @JsonProperty("listen") String listen,
            @JsonProperty("connect_address") String connectAddress,
            @JsonProperty("pgpass") String pgpass,
            @JsonProperty("authentication") Authentication authentication,
            @JsonProperty("parameters") Map<String, Object> parameters,
            @JsonProperty("pg_hba") List<String> pgHba,
            @JsonProperty("basebackup") Object basebackup,
            @JsonProperty("callbacks") Map<String, String> callbacks,
            @JsonProperty("callback_timeout") Integer callbackTimeout,
            @JsonProperty("keep_old_data") Integer keepOldData,
            @JsonProperty("old_data_free_floor") Integer oldDataFreeFloor) {
    }

    public record Authentication(
            @JsonProperty("superuser") Credential superuser,
            @JsonProperty("replication") Credential replication,
            @JsonProperty("rewind") Credential rewind) {
    }

    public record Bootstrap(
            @JsonProperty("dcs") ClusterSettings dcs,
            @JsonProperty("initdb") List<Object> initdb) {
    }
}
