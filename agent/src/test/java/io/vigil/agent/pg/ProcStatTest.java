package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcStatTest {

    @Test
    void aRunningProcessIsAliveUntilItIsKilledAndReaped() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try (ProcStat stat = ProcStat.open(child.pid())) {
            assertThat(stat.alive()).isTrue();
            assertThat(stat.alive()).as("a second look through the same open file").isTrue();
            child.destroyForcibly();
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();   // reaped by the JVM
            assertThat(stat.alive()).isFalse();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aZombieIsNotAlive() throws Exception {
        // the background sleep exits after its parent became "sleep 30", which never reaps it (with "sleep 0"
        // the child could exit before the exec and be reaped by sh: the test then waited for a zombie in vain)
        Process parent = new ProcessBuilder("sh", "-c", "sleep 1 & echo $!; exec sleep 30").start();
        try {
            long zombie = Long.parseLong(new BufferedReader(new InputStreamReader(parent.getInputStream())).readLine().strip());
            await().atMost(Duration.ofSeconds(10)).until(() -> state(zombie) == 'Z');
            try (ProcStat stat = ProcStat.open(zombie)) {
                assertThat(stat.alive()).isFalse();
            }
            assertThat(PostgresObserver.isLiveProcess(zombie)).as("the same answer as the one-off check").isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void noSuchProcessCannotBeOpened() throws Exception {
        Process child = new ProcessBuilder("true").start();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> ProcStat.open(child.pid())).isInstanceOf(IOException.class);
    }

    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '?';
        }
    }
}
