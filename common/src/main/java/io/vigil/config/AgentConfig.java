package io.vigil.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The validated, resolved node configuration the agent runs with: defaults filled in, addresses
 * parsed, secrets resolved. Immutable; built only by {@link ConfigLoader}.
 */
public record AgentConfig(
        String scope,
        String name,
        String namespace,
        List<String> etcdEndpoints,
        String etcdUser,
        Secret etcdPassword,
        String etcdCaCert,
        String etcdCert,
        String etcdKey,
        HostPort restListen,
        HostPort restConnect,
        String restUser,
        Secret restPassword,
        String restCertFile,
        String restKeyFile,
        String restCaFile,
        Path dataDir,
        Path binDir,
        HostPort pgListen,
        HostPort pgConnect,
        Path pgpass,
        String superuser,
        Secret superuserPassword,
        String replicationUser,
        Secret replicationPassword,
        String rewindUser,
        Secret rewindPassword,
        Map<String, Object> localParameters,
        List<String> pgHba,
        List<String> initdbOptions,
        List<String> basebackupOptions,
        ClusterSettings bootstrapSettings,
        Tags tags,
        WatchdogSettings watchdog,
        boolean jsonLogs,
        Map<String, List<String>> callbacks,
        int callbackTimeoutSeconds,
        int keepOldData,
        int oldDataFreeFloorPercent) {

    /** Every secret this node knows, as text (so that nothing it starts is handed one). */
    public java.util.Set<String> secretValues() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Secret s : java.util.Arrays.asList(etcdPassword, restPassword, superuserPassword, replicationPassword,
                rewindPassword)) {
            if (s != null && !s.reveal().isEmpty()) out.add(s.reveal());
        }
        return out;
    }

    /** etcd key prefix of this cluster, e.g. "/vigil/demo/". */
    public String clusterPrefix() {
        return namespace + scope + "/";
    }

    public String apiUrl() {
        return (restCertFile == null ? "http://" : "https://") + restConnect + "/patroni";
    }

    public String connUrl() {
        return "postgres://" + pgConnect + "/postgres";
    }

    /** Replication slot name for a member (Patroni's rule: lower case, other characters to _). */
    public static String slotName(String member) {
        return member.toLowerCase().replaceAll("[^a-z0-9_]", "_");
    }
}
