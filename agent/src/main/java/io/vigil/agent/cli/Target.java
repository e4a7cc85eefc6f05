package io.vigil.agent.cli;

import io.vigil.config.AgentConfig;
import io.vigil.config.ConfigLoader;
import io.vigil.config.Secret;
import io.vigil.store.EtcdStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where the CLI finds the cluster: a node config file ({@code -c}, else {@code $VIGIL_CONFIG},
 * else /etc/vigil/vigil.yml), or {@code --etcd} and {@code --scope}. REST credentials come from the
 * file's restapi.authentication, else {@code $VIGIL_REST_USER} / {@code $VIGIL_REST_PASSWORD} (or
 * {@code $VIGIL_REST_PASSWORD_FILE}).
 */
public final class Target {
    @Option(names = {"-c", "--config"}, description = "node config file (default: $VIGIL_CONFIG, else /etc/vigil/vigil.yml)")
    Path config;

    @Option(names = "--etcd", split = ",", description = "etcd endpoints host:port, instead of a config file")
    List<String> etcd;

    @Option(names = "--scope", description = "cluster name, with --etcd")
    String scope;

    @Option(names = "--namespace", defaultValue = "/vigil/", description = "etcd prefix, with --etcd (default /vigil/)")
    String namespace;

    /** Thrown for a problem the operator must fix; the message says what. Exit code 1. */
    public static final class Problem extends RuntimeException {
        public Problem(String message) {
            super(message);
        }
    }

    private AgentConfig loaded;
    private Map<String, String> env = System.getenv();

    /** The node config, or null when --etcd/--scope are used. */
    AgentConfig config() {
        if (loaded != null || (etcd != null && config == null)) return loaded;
        Path file = config;
        if (file == null && env.get("VIGIL_CONFIG") != null) file = Path.of(env.get("VIGIL_CONFIG"));
        if (file == null) file = Path.of("/etc/vigil/vigil.yml");
        if (!Files.isReadable(file)) {
            throw new Problem("no readable config at " + file + ": pass -c FILE, set VIGIL_CONFIG, or use --etcd and --scope");
        }
        loaded = new ConfigLoader(env, false).load(file);
        return loaded;
    }

    String scopeName() {
        AgentConfig c = config();
        if (c != null) return c.scope();
        if (scope == null) throw new Problem("--etcd needs --scope (the cluster name)");
        return scope;
    }

    EtcdStore store() {
        AgentConfig c = config();
        Duration timeout = Duration.ofSeconds(5);
        if (c != null) return EtcdStore.connect(c, timeout);
        String prefix = (namespace.endsWith("/") ? namespace : namespace + "/") + scopeName() + "/";
        return EtcdStore.connect(etcd, prefix, timeout);
    }

    String restUser() {
        AgentConfig c = config();
        if (c != null && c.restUser() != null) return c.restUser();
        return env.getOrDefault("VIGIL_REST_USER", "vigil");
    }

    Secret restPassword() {
        AgentConfig c = config();
        if (c != null && c.restPassword() != null) return c.restPassword();
        if (env.get("VIGIL_REST_PASSWORD") != null) return new Secret(env.get("VIGIL_REST_PASSWORD"));
        String file = env.get("VIGIL_REST_PASSWORD_FILE");
        if (file != null) {
            try {
                return new Secret(Files.readString(Path.of(file)).strip());
            } catch (java.io.IOException e) {
                throw new Problem("cannot read VIGIL_REST_PASSWORD_FILE " + file + ": " + e.getMessage());
            }
        }
        return null;
    }

    Path restCaFile() {
        AgentConfig c = config();
        return c == null || c.restCaFile() == null ? null : Path.of(c.restCaFile());
    }

    @Override
    public String toString() {
        return "Target" + Arrays.asList(config, etcd, scope);
    }
}
