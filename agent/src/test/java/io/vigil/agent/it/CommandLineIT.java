package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar's command line: refusals and config errors, as an operator sees them. */
class CommandLineIT {
    @TempDir
    Path dir;

    private record Run(int exit, String output) {
    }

    private static Run vigil(List<String> command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("vigil.jar", "target/vigil.jar")));
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void agentRefusesToRunAsRoot() throws Exception {
        assumeTrue(Processes.isRoot(), "only meaningful when the tests run as root (as CI does)");
        Path cfg = Files.writeString(dir.resolve("node.yml"), "scope: a\n");
        Run r = vigil(List.of("agent", "-c", cfg.toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains("must not run as root").contains("runuser -u postgres");
    }

    @Test
    void invalidConfigIsRejectedWithTheKeyAndLineAndNothingStarts() throws Exception {
        Path cfg = Files.writeString(dir.resolve("node.yml"), String.join("\n",
                "scope: demo", "name: n1", "etcd: {hosts: [127.0.0.1:2379]}", "restapi: {listen: 127.0.0.1:8008}",
                "postgresql:", "  data_dir: /tmp/x/data", "  listen: 127.0.0.1:5432", "  prot: 1",
                "  authentication:", "    superuser: {password: a}", "    replication: {username: r, password: b}",
                "bootstrap: {dcs: {ttl: 10, loop_wait: 5, retry_timeout: 5}}", ""));
        Run r = vigil(List.of("check-config", "-c", cfg.toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains("unknown key 'postgresql.prot' (line 8)");
    }

    @Test
    void timingRuleViolationIsAnErrorNotAClamp() throws Exception {
        Path cfg = Files.writeString(dir.resolve("node.yml"), String.join("\n",
                "scope: demo", "name: n1", "etcd: {hosts: [127.0.0.1:2379]}", "restapi: {listen: 127.0.0.1:8008}",
                "postgresql:", "  data_dir: /tmp/x/data", "  listen: 127.0.0.1:5432",
                "  authentication:", "    superuser: {password: a}", "    replication: {username: r, password: b}",
                "bootstrap: {dcs: {ttl: 10, loop_wait: 5, retry_timeout: 5}}", ""));
        Run r = vigil(List.of("check-config", "-c", cfg.toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains("loop_wait + 2 * retry_timeout (5 + 2 * 5 = 15) must not exceed ttl (10)")
                .doesNotContain("Exception");
    }

    @Test
    void missingConfigFileSaysWhatToDo() throws Exception {
        Run r = vigil(List.of("check-config", "-c", dir.resolve("nope.yml").toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains("cannot read config file").contains("--config");
    }
}
