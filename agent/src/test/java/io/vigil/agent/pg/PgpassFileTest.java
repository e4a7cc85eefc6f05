package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.AgentConfig;
import io.vigil.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pgpass file is written only when it would change, so a start on a full disk does not need space for it. */
class PgpassFileTest {
    @TempDir
    Path dir;

    private AgentConfig config(String replicationPassword) {
        String yaml = """
                scope: s
                name: n1
                etcd: {hosts: [127.0.0.1:2379]}
                restapi: {listen: 127.0.0.1:8008}
                postgresql:
                  data_dir: %s
                  bin_dir: /usr/lib/postgresql/15/bin
                  listen: 127.0.0.1:5432
                  authentication:
                    superuser: {username: postgres, password: su-secret}
                    replication: {username: replicator, password: %s}
                bootstrap: {dcs: {ttl: 30, loop_wait: 10, retry_timeout: 10}}
                """.formatted(dir.resolve("data"), replicationPassword);
        return new ConfigLoader(Map.of(), false).parse(yaml, "test");
    }

    private static Object inode(Path file) throws Exception {
        return Files.readAttributes(file, "unix:ino").get("ino");
    }

    @Test
    void writtenOnceWithMode600AndLeftAloneWhileUnchanged() throws Exception {
        AgentConfig cfg = config("r-secret");
        new PostgresFiles(cfg).writePgpass();
        Path file = cfg.pgpass();
        assertThat(Files.readAllLines(file)).containsExactly("*:*:*:postgres:su-secret", "*:*:*:replicator:r-secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Object before = inode(file);

        new PostgresFiles(cfg).writePgpass();

        assertThat(inode(file)).isEqualTo(before);   // every write is a new file renamed over the old one
    }

    @Test
    void aChangedPasswordOrAWiderModeIsWrittenAgain() throws Exception {
        new PostgresFiles(config("old")).writePgpass();
        AgentConfig cfg = config("new");
        Path file = cfg.pgpass();

        new PostgresFiles(cfg).writePgpass();
        assertThat(Files.readAllLines(file)).contains("*:*:*:replicator:new");

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        new PostgresFiles(cfg).writePgpass();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
}
