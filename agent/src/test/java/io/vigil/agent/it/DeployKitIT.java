package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy kit as shipped: example configs load, the unit verifies, install.sh installs, alert rules pass promtool. */
class DeployKitIT {
    private static final Path REPO = Path.of(System.getProperty("vigil.repo", ".."));

    @TempDir
    Path dir;

    private record Run(int exit, String output) {
    }

    private static Run run(List<String> cmd, Path workDir, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(workDir.toFile());
        for (int i = 0; i + 1 < env.length; i += 2) pb.environment().put(env[i], env[i + 1]);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** systemd/install.sh into {@code root} instead of / , on the machine's java unless {@code java} is given. */
    private Run install(Path root, String... java) throws Exception {
        List<String> env = new ArrayList<>(List.of("VIGIL_ROOT", root.toString()));
        if (java.length > 0) env.addAll(List.of("VIGIL_JAVA", java[0]));
        return run(List.of("bash", REPO.resolve("systemd/install.sh").toString()), dir, env.toArray(String[]::new));
    }

    private static boolean installed(String tool) throws Exception {
        return run(List.of("sh", "-c", "command -v " + tool), Path.of(".")).exit() == 0;
    }

    @Test
    void exampleNodeConfigsAreValid() throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        for (String s : List.of("etcd-password", "rest-password", "pg-password", "repl-password", "rewind-password")) {
            Files.writeString(secrets.resolve(s), "secret-" + s + "\n");
        }
        for (String n : List.of("node1.yml", "node2.yml", "node3.yml")) {
            String yaml = Files.readString(REPO.resolve("deploy/examples").resolve(n))
                    .replace("/etc/vigil/secrets/", secrets + "/");
            Path cfg = Files.writeString(dir.resolve(n), yaml);
            Run r = run(List.of(javaBin(), "-jar", jar(), "check-config", "-c", cfg.toString()), dir);
            assertThat(r.exit()).as(n + ": " + r.output()).isZero();
            assertThat(r.output()).contains("valid (scope main");
        }
    }

    @Test
    void systemdUnitVerifies() throws Exception {
        assumeTrue(installed("systemd-analyze"), "systemd-analyze is not installed");
        Run r = run(List.of("systemd-analyze", "verify", UnitJvm.UNIT.toString()), dir);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(Files.readString(UnitJvm.UNIT)).contains("User=postgres")
                .contains("KillMode=mixed").contains("Restart=on-failure");
    }

    @Test
    void installScriptInstallsWithoutOverwritingTheConfig() throws Exception {
        Path root = dir.resolve("root");
        Run first = install(root);
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(root.resolve("opt/vigil/vigil.jar")).exists();
        assertThat(Files.isExecutable(root.resolve("usr/local/bin/vigil"))).isTrue();
        assertThat(root.resolve("etc/systemd/system/vigil.service")).exists();
        Path cfg = root.resolve("etc/vigil/vigil.yml");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg))).isEqualTo("rw-r-----");
        assertThat(Files.getOwner(cfg).getName()).isEqualTo("postgres");
        Files.writeString(cfg, "# edited by the operator\n");
        Run second = install(root);
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("kept the existing");
        assertThat(Files.readString(cfg)).isEqualTo("# edited by the operator\n");
        Run help = run(List.of(root.resolve("usr/local/bin/vigil").toString(), "--version"), dir,
                "VIGIL_JAR", root.resolve("opt/vigil/vigil.jar").toString());
        assertThat(help.output()).contains("vigil ");
    }

    @Test
    void installedUnitStartsItsJavaAndMapsTheArchiveWhereItWasWritten() throws Exception {
        Path root = dir.resolve("root");
        Run install = install(root);
        assertThat(install.exit()).as(install.output()).isZero();
        List<String> cmd = installedCommand(root);
        assertThat(cmd.get(0)).isEqualTo("/usr/bin/java");
        assertThat(cmd).contains("-XX:TrimNativeHeapInterval=30000");
        // its archive mapped at its own address: the archive's pages stay file pages
        cmd.addAll(cmd.indexOf("-jar"), List.of("-Xshare:on", "-Xlog:cds=info"));
        Run version = run(cmd, dir);
        assertThat(version.exit()).as(version.output()).isZero();
        assertThat(version.output()).contains("Mapped dynamic region").contains("vigil ")
                .doesNotContain("alternative address");
    }

    @Test
    void installLeavesOutAFlagItsJavaDoesNotKnow() throws Exception {
        // a java as before 17.0.9, which has no -XX:TrimNativeHeapInterval, and notes how it was called
        Path oldJava = dir.resolve("old-java");
        Path calls = dir.resolve("old-java.calls");
        Files.writeString(oldJava, """
                #!/bin/sh
                echo "$*" >> %s
                for a in "$@"; do
                  case "$a" in -XX:TrimNativeHeapInterval=*)
                    echo "Unrecognized VM option '${a#-XX:}'" >&2; exit 1;;
                  esac
                done
                exec %s "$@"
                """.formatted(calls, javaBin()));
        Files.setPosixFilePermissions(oldJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = dir.resolve("root");
        Run install = install(root, oldJava.toString());
        assertThat(install.exit()).as(install.output()).isZero();
        assertThat(install.output()).contains("does not know -XX:TrimNativeHeapInterval=30000");
        List<String> cmd = installedCommand(root);
        assertThat(cmd.get(0)).isEqualTo(oldJava.toString());
        assertThat(cmd).noneMatch(f -> f.startsWith("-XX:TrimNativeHeapInterval"));
        Run version = run(cmd, dir);
        assertThat(version.exit()).as(version.output()).isZero();
        assertThat(version.output()).contains("vigil ");
        // the installed command (and so the unit's reload) runs on the agent's java too
        Files.delete(calls);
        Run cli = run(List.of(root.resolve("usr/local/bin/vigil").toString(), "--version"), dir,
                "VIGIL_JAR", root.resolve("opt/vigil/vigil.jar").toString());
        assertThat(cli.output()).contains("vigil ");
        assertThat(calls).as("the installed vigil command did not run the agent's java").exists();
        assertThat(Files.readString(calls)).contains("-Xmx128m").contains("--version");
    }

    @Test
    void installRefusesAJavaThatCannotRunTheAgent() throws Exception {
        Run install = install(dir.resolve("root"), "/bin/false");
        assertThat(install.exit()).isEqualTo(1);
        assertThat(install.output()).contains("Vigil needs java 17 or later");
        assertThat(dir.resolve("root/etc/systemd/system/vigil.service")).doesNotExist();
    }

    /** The installed unit's ExecStart under {@code root}, asking the agent only for its version. */
    private static List<String> installedCommand(Path root) {
        List<String> exec = UnitJvm.execStart(root.resolve("etc/systemd/system/vigil.service"));
        List<String> cmd = new ArrayList<>();
        for (String w : exec.subList(0, exec.indexOf("-jar") + 2)) {
            cmd.add(w.replace("/opt/vigil/", root.resolve("opt/vigil") + "/"));
        }
        cmd.add("--version");
        return cmd;
    }

    @Test
    void alertRulesPassPromtool() throws Exception {
        assumeTrue(installed("promtool"), "promtool is not installed");
        Path rules = REPO.resolve("deploy/prometheus");
        Run check = run(List.of("promtool", "check", "rules", "vigil-alerts.yml"), rules);
        assertThat(check.exit()).as(check.output()).isZero();
        Run test = run(List.of("promtool", "test", "rules", "vigil-alerts.test.yml"), rules);
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String jar() {
        return Path.of(System.getProperty("vigil.jar", "target/vigil.jar")).toAbsolutePath().toString();
    }
}
