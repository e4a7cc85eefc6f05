package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    private static final String VALID = """
            scope: demo
            name: node1
            etcd:
              hosts: [127.0.0.1:2379]
            restapi:
              listen: 127.0.0.1:8008
            postgresql:
              data_dir: /tmp/vigil-config-test/data
              bin_dir: /usr/lib/postgresql/15/bin
              listen: 127.0.0.1:5433
              authentication:
                superuser: {username: postgres, password: s3cret}
                replication: {username: replicator, password_env: REPL_PW}
            bootstrap:
              dcs: {ttl: 30, loop_wait: 10, retry_timeout: 10}
            """;

    private final ConfigLoader loader = new ConfigLoader(Map.of("REPL_PW", "from-env"), false);

    @Test
    void validFileResolvesDefaultsAndSecrets() {
        AgentConfig c = loader.parse(VALID, "node.yml");
        assertThat(c.clusterPrefix()).isEqualTo("/vigil/demo/");
        assertThat(c.etcdEndpoints()).containsExactly("http://127.0.0.1:2379");
        assertThat(c.pgConnect()).isEqualTo(c.pgListen());
        assertThat(c.replicationPassword().reveal()).isEqualTo("from-env");
        assertThat(c.superuserPassword().toString()).doesNotContain("s3cret");
        assertThat(c.bootstrapSettings().maximumLagOnFailover()).isEqualTo(1_048_576L);
        assertThat(c.apiUrl()).isEqualTo("http://127.0.0.1:8008/patroni");
    }

    @Test
    void watchdogIsOffUnlessConfigured() {
        assertThat(loader.parse(VALID, "node.yml").watchdog().mode()).isEqualTo(WatchdogSettings.Mode.OFF);
    }

    @ParameterizedTest
    @CsvSource({"off, OFF", "automatic, AUTOMATIC", "required, REQUIRED", "on, AUTOMATIC", "'\"off\"', OFF"})
    void watchdogModeInPatronisSpelling(String yaml, WatchdogSettings.Mode mode) {
        AgentConfig c = loader.parse(VALID + "watchdog: {mode: " + yaml + ", device: /dev/watchdog0, safety_margin: 7}\n",
                "node.yml");
        assertThat(c.watchdog().mode()).isEqualTo(mode);
        assertThat(c.watchdog().device()).isEqualTo(java.nio.file.Path.of("/dev/watchdog0"));
        assertThat(c.watchdog().safetyMarginSeconds()).isEqualTo(7);
    }

    @Test
    void callbacksAreSplitIntoWordsAndAnUnknownOrEmptyOneIsNamed() {
        String yaml = VALID.replace("postgresql:\n", "postgresql:\n  callbacks: {on_role_change: \"/usr/local/bin/cb.sh --quiet\"}\n");
        assertThat(yaml).contains("callbacks");
        assertThat(loader.parse(yaml, "node.yml").callbacks()).containsEntry("on_role_change",
                java.util.List.of("/usr/local/bin/cb.sh", "--quiet"));
        String bad = VALID.replace("postgresql:\n", "postgresql:\n  callbacks: {on_promote: /bin/true, on_stop: ''}\n");
        assertThatThrownBy(() -> loader.parse(bad, "node.yml"))
                .hasMessageContaining("postgresql.callbacks.on_promote is not a callback: give on_start, on_stop")
                .hasMessageContaining("postgresql.callbacks.on_stop: give the command to run");
    }

    @Test
    void aCallbackScriptMustBeAnAbsoluteExecutableFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path plain = java.nio.file.Files.writeString(dir.resolve("cb.sh"), "#!/bin/sh\n");
        assertThat(ConfigLoader.notExecutable("cb.sh")).contains("not an absolute path");
        assertThat(ConfigLoader.notExecutable(dir.resolve("missing.sh").toString())).contains("does not exist");
        assertThat(ConfigLoader.notExecutable(plain.toString())).contains("not an executable file");
        assertThat(plain.toFile().setExecutable(true)).isTrue();
        assertThat(ConfigLoader.notExecutable(plain.toString())).isNull();
    }

    @Test
    void oldDataCopiesKeepOneByDefaultAndBadValuesAreNamed() {
        AgentConfig c = loader.parse(VALID, "node.yml");
        assertThat(c.keepOldData()).isEqualTo(1);
        assertThat(c.oldDataFreeFloorPercent()).isEqualTo(10);
        String bad = VALID.replace("postgresql:\n", "postgresql:\n  keep_old_data: -1\n  old_data_free_floor: 100\n");
        assertThatThrownBy(() -> loader.parse(bad, "node.yml"))
                .hasMessageContaining("postgresql.keep_old_data is -1")
                .hasMessageContaining("postgresql.old_data_free_floor is 100");
    }

    @Test
    void logTypeIsPlainByDefaultJsonOnRequestAndAnythingElseIsNamed() {
        assertThat(loader.parse(VALID, "node.yml").jsonLogs()).isFalse();
        assertThat(loader.parse(VALID + "log: {type: json}\n", "node.yml").jsonLogs()).isTrue();
        assertThatThrownBy(() -> loader.parse(VALID + "log: {type: xml}\n", "node.yml"))
                .hasMessageContaining("log.type is 'xml': give plain");
    }

    @Test
    void badWatchdogSettingsAreNamed() {
        assertThatThrownBy(() -> loader.parse(VALID + "watchdog: {mode: sometimes, device: dev/wd, safety_margin: -3}\n",
                "node.yml"))
                .hasMessageContaining("watchdog.mode is 'sometimes': give off, automatic or required")
                .hasMessageContaining("watchdog.device is 'dev/wd': give an absolute path")
                .hasMessageContaining("watchdog.safety_margin is -3");
    }

    @Test
    void tagsLeftOutAreFalse() {
        AgentConfig c = loader.parse(VALID + "tags: {noloadbalance: true, failover_priority: 3}\n", "node.yml");
        assertThat(c.tags().noLoadBalance()).isTrue();
        assertThat(c.tags().noFailover()).isFalse();
        assertThat(c.tags().priority()).isEqualTo(3);
        assertThat(c.tags().mayPromote()).isTrue();
    }

    @Test
    void unknownKeyIsNamedWithItsLine() {
        String yaml = VALID.replace("  listen: 127.0.0.1:5433", "  listen: 127.0.0.1:5433\n  prot: 5")
                .replace("restapi:\n  listen: 127.0.0.1:8008", "restapi:\n  listen: 127.0.0.1:8008");
        assertThatThrownBy(() -> loader.parse(yaml, "node.yml"))
                .hasMessageContaining("unknown key 'postgresql.prot'").hasMessageContaining("(line 11)");
    }

    @Test
    void wrongTypeIsNamedWithItsKey() {
        String yaml = VALID.replace("ttl: 30", "ttl: thirty");
        assertThatThrownBy(() -> loader.parse(yaml, "node.yml"))
                .hasMessageContaining("key 'bootstrap.dcs.ttl'").hasMessageContaining("'thirty' is not a whole number").hasMessageContaining("(line 15)");
    }

    @Test
    void timingRuleIsEnforcedNotClamped() {
        String yaml = VALID.replace("ttl: 30", "ttl: 20");
        assertThatThrownBy(() -> loader.parse(yaml, "node.yml"))
                .hasMessageContaining("bootstrap.dcs.loop_wait + 2 * retry_timeout (10 + 2 * 10 = 30) must not exceed ttl (20)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "scope: demo|scope: ''|scope is missing",
            "  hosts: [127.0.0.1:2379]|  hosts: []|etcd.hosts is missing",
            "  listen: 127.0.0.1:8008|  listen: 127.0.0.1:99999|restapi.listen port 99999 is outside 1-65535",
            "password_env: REPL_PW|password_env: NOPE|environment variable NOPE is not set",
            "name: node1|name: 'bad name'|name 'bad name' may hold only",
            "  listen: 127.0.0.1:5433|  listen: 0.0.0.0:5433|postgresql.connect_address is needed",
    })
    void eachProblemIsNamed(String from, String to, String message) {
        assertThatThrownBy(() -> loader.parse(VALID.replace(from, to), "node.yml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void missingPostgresSectionIsReported() {
        String yaml = "scope: a\nname: b\netcd: {hosts: [h:1]}\nrestapi: {listen: h:2}\n";
        assertThatThrownBy(() -> loader.parse(yaml, "node.yml")).hasMessageContaining("postgresql is missing");
    }

    @Test
    void invalidYamlSaysSo() {
        assertThatThrownBy(() -> loader.parse("scope: \"unclosed\nname: x\n", "node.yml")).hasMessageContaining("not valid YAML");
    }

    @Test
    void unreadableDataDirectoryIsRejectedWhenCheckingTheFileSystem() {
        ConfigLoader strict = new ConfigLoader(Map.of("REPL_PW", "x"), true);
        String yaml = VALID.replace("/tmp/vigil-config-test/data", "/proc/1/nonexistent/data")
                .replace("bin_dir: /usr/lib/postgresql/15/bin", "bin_dir: /bin");
        assertThatThrownBy(() -> strict.parse(yaml, "node.yml"))
                .hasMessageContaining("postgresql.data_dir: /proc/1/nonexistent/data does not exist and its parent");
    }

    @Test
    void initdbListBecomesOptions() {
        String yaml = VALID + "  initdb:\n  - data-checksums\n  - encoding: UTF8\n";
        assertThat(loader.parse(yaml, "node.yml").initdbOptions()).containsExactly("--data-checksums", "--encoding=UTF8");
        assertThat(loader.parse(VALID, "node.yml").initdbOptions()).as("the defaults")
                .containsExactly("--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums");
    }

    @Test
    void basebackupTakesPatronisListOrMap() {
        String list = VALID
                .replace("bootstrap:", "  basebackup:\n  - verbose\n  - max-rate: 100M\n  - checkpoint: spread\nbootstrap:");
        assertThat(loader.parse(list, "node.yml").basebackupOptions())
                .containsExactly("--verbose", "--max-rate=100M", "--checkpoint=spread");
        String map = VALID.replace("bootstrap:", "  basebackup: {max-rate: 64M, waldir: /wal/pg}\nbootstrap:");
        assertThat(loader.parse(map, "node.yml").basebackupOptions()).containsExactly("--max-rate=64M", "--waldir=/wal/pg");
        assertThat(loader.parse(VALID, "node.yml").basebackupOptions()).isEmpty();
        String bare = VALID.replace("bootstrap:", "  basebackup: {verbose: , max-rate: 1M}\nbootstrap:");
        assertThat(loader.parse(bare, "node.yml").basebackupOptions()).containsExactly("--verbose", "--max-rate=1M");
    }

    @Test
    void optionsVigilSetsItselfOrShortNamesAreRefusedByName() {
        String yaml = VALID.replace("bootstrap:", "  basebackup: [{wal-method: fetch}, write-recovery-conf, {r: 1M}]\nbootstrap:")
                + "  initdb: [{pgdata: /x}, {encoding: UTF8}]\n";
        assertThatThrownBy(() -> loader.parse(yaml, "node.yml"))
                .hasMessageContaining("postgresql.basebackup: wal-method is set by Vigil itself; remove it")
                .hasMessageContaining("postgresql.basebackup: write-recovery-conf is set by Vigil itself")
                .hasMessageContaining("postgresql.basebackup[2] is 'r': give the option's long name without dashes")
                .hasMessageContaining("bootstrap.initdb: pgdata is set by Vigil itself");
        String scalar = VALID.replace("bootstrap:", "  basebackup: verbose\nbootstrap:");
        assertThatThrownBy(() -> loader.parse(scalar, "node.yml"))
                .hasMessageContaining("postgresql.basebackup must be a list of options");
    }
}
