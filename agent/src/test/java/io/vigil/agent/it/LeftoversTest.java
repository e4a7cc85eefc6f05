package io.vigil.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Leftovers of a killed run are removed; those of a live run and unmarked ones are not. */
class LeftoversTest {

    /** The mark of a JVM that has exited: a real process, started and reaped. */
    private static String deadOwner() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        long started = p.info().startInstant().orElseThrow().toEpochMilli();
        p.destroyForcibly().waitFor();
        return p.pid() + " " + started;
    }

    private static Path testDirectory() throws java.io.IOException {
        return Files.createDirectories(Path.of("/tmp", "vigil-it-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    @Test
    void aDirectoryOfAGoneRunIsRemovedAndALiveOrUnmarkedOneIsKept() throws Exception {
        Path gone = testDirectory();
        Path live = testDirectory();
        Path unmarked = testDirectory();
        try {
            Files.writeString(gone.resolve("owner"), deadOwner());
            Files.writeString(gone.resolve("data"), "x");
            Leftovers.markDirectory(live);

            Leftovers.sweepNow();

            assertFalse(Files.exists(gone), gone + " belonged to an exited JVM");
            assertTrue(Files.exists(live.resolve("owner")), live + " belongs to this JVM");
            assertTrue(Files.exists(unmarked), unmarked + " has no mark: nobody knows whose it is");
        } finally {
            Processes.deleteTree(gone);
            Processes.deleteTree(live);
            Processes.deleteTree(unmarked);
        }
    }

    @Test
    void aMarkIsGoneOnlyWhenItsJvmIsGone() throws Exception {
        Path mark = Files.createTempFile("vigil-mark", "");
        try {
            Files.writeString(mark, deadOwner());
            assertTrue(Leftovers.ownerGone(mark));
            long me = ProcessHandle.current().pid();
            long myStart = ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
            Files.writeString(mark, me + " " + myStart);
            assertFalse(Leftovers.ownerGone(mark));
            Files.writeString(mark, me + " 12345");   // our pid, another start time: a reused pid
            assertTrue(Leftovers.ownerGone(mark));
            Files.writeString(mark, "not a mark");
            assertFalse(Leftovers.ownerGone(mark));
        } finally {
            Files.deleteIfExists(mark);
        }
    }

    @Test
    void theNetworkOfAGoneRunIsRemovedWithItsProcesses() throws Exception {
        assumeTrue(Network.available(), "needs root and ip netns");
        String id = "f" + Integer.toHexString(UUID.randomUUID().hashCode() & 0xfff);
        String ns = "v" + id + "-node1";
        Path mark = Path.of("/tmp", "vigil-it-net-" + id);
        try {
            assertEquals(0, Processes.run(List.of("ip", "link", "add", "vb" + id, "type", "bridge")));
            assertEquals(0, Processes.run(List.of("ip", "netns", "add", ns)));
            Process inside = new ProcessBuilder("ip", "netns", "exec", ns, "sleep", "300").start();
            Files.writeString(mark, deadOwner());

            Leftovers.sweepNow();

            assertTrue(inside.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the namespace's process was killed");
            assertTrue(Processes.run(List.of("ip", "netns", "exec", ns, "true")) != 0, "namespace removed");
            assertTrue(Processes.run(List.of("ip", "link", "show", "vb" + id)) != 0, "bridge removed");
            assertFalse(Files.exists(mark));
        } finally {
            Processes.run(List.of("ip", "netns", "del", ns));
            Processes.run(List.of("ip", "link", "del", "vb" + id));
            Files.deleteIfExists(mark);
        }
    }
}
