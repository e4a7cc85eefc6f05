package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real fence.sh against a stand-in postmaster (a sleep whose pid is in postmaster.pid). */
class FenceProcessTest {
    @TempDir Path dir;
    private Path data;
    private Path heartbeat;
    private Process postmaster;
    private FenceProcess fence;

    @BeforeEach
    void standInPostmaster() throws Exception {
        data = Files.createDirectories(dir.resolve("data"));
        heartbeat = dir.resolve("vigil-fence.deadline");
        postmaster = new ProcessBuilder("sleep", "120").start();
        Files.writeString(data.resolve("postmaster.pid"), postmaster.pid() + "\n" + data + "\n");
        fence = new FenceProcess(data, System::nanoTime);
    }

    @AfterEach
    void stop() {
        fence.heartbeat(0);
        postmaster.destroyForcibly();
    }

    @Test
    void theHeartbeatLineHasOneLengthAndACheckValue() {
        for (long d : new long[] {0, 1, 86_400_000, 9_999_999_999L, 123_456_789_012_345L}) {
            String line = FenceProcess.heartbeatLine(d);
            assertThat(line).hasSize(31).endsWith("\n");
            String[] parts = line.strip().split(" ");
            assertThat(Long.parseLong(parts[0])).isEqualTo(d);
            assertThat(Long.parseLong(parts[1])).isEqualTo(FenceProcess.check(d));
        }
        assertThat(FenceProcess.check(1_000)).isNotEqualTo(FenceProcess.check(1_001));
    }

    @Test
    void heartbeatsKeepPostgresRunningAndTheLastDeadlineStopsIt() throws Exception {
        long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < end) {
            fence.heartbeat(System.nanoTime() + Duration.ofMillis(600).toNanos());
            assertThat(postmaster.isAlive()).as("stopped while heartbeats kept coming").isTrue();
            postmaster.waitFor(100, TimeUnit.MILLISECONDS);
        }
        long heartbeatInode = inode(heartbeat);
        fence.heartbeat(System.nanoTime() + Duration.ofMillis(300).toNanos());
        assertThat(inode(heartbeat)).as("the file is overwritten in place, not replaced").isEqualTo(heartbeatInode);
        assertThat(postmaster.waitFor(10, TimeUnit.SECONDS)).as("stopped after the last deadline").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(heartbeat));
    }

    @Test
    void aLineWhoseCheckDoesNotMatchDoesNotMoveTheDeadline() throws Exception {
        fence.heartbeat(System.nanoTime() + Duration.ofMillis(500).toNanos());
        long farAway = FenceProcess.uptimeMillis() + 3_600_000;
        Files.writeString(heartbeat, String.format("%019d %010d\n", farAway, FenceProcess.check(farAway) + 1));
        assertThat(postmaster.waitFor(10, TimeUnit.SECONDS)).as("stopped at the last valid deadline").isTrue();
    }

    @Test
    void noLongerLeadingEndsTheFenceAndLeavesPostgresRunning() throws Exception {
        fence.heartbeat(System.nanoTime() + Duration.ofMillis(400).toNanos());
        fence.heartbeat(0);
        assertThat(postmaster.waitFor(2, TimeUnit.SECONDS)).as("Postgres was stopped after the fence was released").isFalse();
        assertThat(postmaster.isAlive()).isTrue();
    }

    @Test
    void stoppingNowKillsThePostmasterWithoutAHeartbeatAndSaysWhy() throws Exception {
        assertThat(fence.stopPostgresNow()).as("the script ran to its end").isTrue();
        assertThat(postmaster.waitFor(5, TimeUnit.SECONDS)).as("stopped at once").isTrue();
        assertThat(Files.readString(dir.resolve("vigil-fence.log")))
                .contains("vigil-fence: fenced by the agent at its lease deadline; Postgres (pid " + postmaster.pid() + ") stopped");
    }

    @Test
    void stoppingNowWithoutARunningPostmasterDoesNothing() throws Exception {
        postmaster.destroyForcibly().waitFor();
        assertThat(fence.stopPostgresNow()).isTrue();
        assertThat(dir.resolve("vigil-fence.log")).satisfiesAnyOf(
                log -> assertThat(log).doesNotExist(), log -> assertThat(log).content().doesNotContain("stopped"));
    }

    private static long inode(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }
}
