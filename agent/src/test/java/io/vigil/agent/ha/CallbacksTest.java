package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Callbacks run the operator's command as Patroni does: command ACTION ROLE SCOPE, one at a time. */
class CallbacksTest {
    @TempDir
    Path dir;

    /** A callback command that appends its three arguments to {@code file}. */
    private static List<String> recorder(Path file) {
        return List.of("/bin/sh", "-c", "printf '%s %s %s\\n' \"$0\" \"$1\" \"$2\" >> '" + file + "'");
    }

    private static void awaitLines(Path file, String... lines) {
        Awaitility.await("callbacks recorded").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> Files.readAllLines(file), l -> l.equals(List.of(lines)));
    }

    @Test
    void eachEventCallsItsCallbackWithActionRoleAndScope() {
        Path file = dir.resolve("calls");
        List<String> cmd = recorder(file);
        Callbacks callbacks = new Callbacks("demo", Map.of("on_start", cmd, "on_role_change", cmd, "on_restart", cmd,
                "on_reload", cmd, "on_stop", cmd), Duration.ofSeconds(60), java.util.Set.of());
        callbacks.started(Callbacks.REPLICA);
        awaitLines(file, "on_start replica demo");
        callbacks.promoted();
        awaitLines(file, "on_start replica demo", "on_role_change primary demo");
        callbacks.restarted(Callbacks.PRIMARY);
        awaitLines(file, "on_start replica demo", "on_role_change primary demo", "on_restart primary demo");
        callbacks.started(Callbacks.REPLICA);
        awaitLines(file, "on_start replica demo", "on_role_change primary demo", "on_restart primary demo",
                "on_role_change replica demo");
        callbacks.reloaded(Callbacks.REPLICA);
        callbacks.stopped();
        Awaitility.await("reload and stop recorded").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> Files.readAllLines(file), l -> l.size() == 6
                        && l.containsAll(List.of("on_reload replica demo", "on_stop replica demo")));
    }

    @Test
    void aCallbackWithoutACommandIsSkippedAndANewOneEndsTheOneStillRunning() throws Exception {
        Path file = dir.resolve("calls");
        Path slow = dir.resolve("slow-started");
        List<String> sleeper = List.of("/bin/sh", "-c", "touch '" + slow + "'; sleep 30; echo late >> '" + file + "'");
        Callbacks callbacks = new Callbacks("demo", Map.of("on_start", sleeper, "on_role_change", recorder(file)),
                Duration.ofSeconds(60), java.util.Set.of());
        callbacks.reloaded(Callbacks.REPLICA);   // no on_reload command: nothing runs
        callbacks.started(Callbacks.REPLICA);
        Awaitility.await("slow callback running").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(slow));
        callbacks.promoted();
        awaitLines(file, "on_role_change primary demo");
        Awaitility.await("the slow callback ended, with its children").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.allProcesses()
                        .noneMatch(p -> p.info().commandLine().orElse("").contains(slow.toString())));
        assertThat(Files.readAllLines(file)).containsExactly("on_role_change primary demo");
    }

    @Test
    void aCallbackThatHangsIsKilledAtTheTimeoutAndNoSecretIsInItsEnvironment() throws Exception {
        Path file = dir.resolve("env");
        Path hung = dir.resolve("hung-started");
        String home = System.getenv("HOME");
        assertThat(home).as("an environment variable to stand for a secret").isNotBlank();
        List<String> hangs = List.of("/bin/sh", "-c", "touch '" + hung + "'; exec sleep 600");
        List<String> printsEnv = List.of("/bin/sh", "-c", "printf 'HOME=%s\\n' \"$HOME\" >> '" + file + "'");
        Callbacks callbacks = new Callbacks("demo", Map.of("on_start", hangs, "on_reload", printsEnv),
                Duration.ofSeconds(1), java.util.Set.of(home));
        callbacks.started(Callbacks.REPLICA);
        Awaitility.await("hung callback started").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(hung));
        Awaitility.await("hung callback killed at the timeout").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.allProcesses()
                        .noneMatch(p -> p.info().commandLine().orElse("").contains(hung.toString())));
        callbacks.reloaded(Callbacks.REPLICA);
        awaitLines(file, "HOME=");
    }
}
