package io.vigil.agent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a test run leaves when its JVM is killed with SIGKILL (no cleanup can run then): network
 * namespaces and a bridge, processes in them, tmpfs mounts and directories under /tmp. Each run
 * marks what it makes with its JVM (pid and start time); the next run removes what belongs to a
 * JVM that is gone.
 */
final class Leftovers {
    private static final Path TMP = Path.of("/tmp");
    private static final String DIR_PREFIX = "vigil-it-";
    private static final String NET_PREFIX = "vigil-it-net-";
    private static boolean swept;

    private Leftovers() {
    }

    /** Marks a test directory as this JVM's. */
    /** After a sweep, a new directory /tmp/vigil-it-*, marked as this JVM's. */
    static Path newDirectory() throws IOException {
        sweep();
        Path dir = TMP.resolve(DIR_PREFIX + java.util.UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectories(dir);
        markDirectory(dir);
        return dir;
    }

    static void markDirectory(Path dir) throws IOException {
        Files.writeString(dir.resolve("owner"), owner());
    }

    /** Marks a network (namespaces v{id}-*, bridge vb{id}) as this JVM's. */
    static void markNetwork(String id) throws IOException {
        Files.writeString(TMP.resolve(NET_PREFIX + id), owner());
    }

    static void unmarkNetwork(String id) {
        try {
            Files.deleteIfExists(TMP.resolve(NET_PREFIX + id));
        } catch (IOException ignored) {
            // a stale mark only costs the next run a look
        }
    }

    /** Once per JVM: removes what runs whose JVM is gone left behind. */
    static synchronized void sweep() {
        if (swept) return;
        swept = true;
        sweepNow();
    }

    static void sweepNow() {
        try (var s = Files.list(TMP)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(DIR_PREFIX)).toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(NET_PREFIX) && Files.isRegularFile(p)) {
                    if (ownerGone(p)) removeNetwork(name.substring(NET_PREFIX.length()), p);
                } else if (Files.isDirectory(p) && ownerGone(p.resolve("owner"))) {
                    removeDirectory(p);
                }
            }
        } catch (IOException e) {
            System.err.println("leftovers: cannot list /tmp: " + e.getMessage());
        }
    }

    private static String owner() {
        ProcessHandle me = ProcessHandle.current();
        return me.pid() + " " + me.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
    }

    /** True when the mark names a JVM that no longer runs; false for no mark or an unreadable one. */
    static boolean ownerGone(Path mark) {
        try {
            String[] f = Files.readString(mark).trim().split(" ");
            long pid = Long.parseLong(f[0]);
            long started = Long.parseLong(f[1]);
            return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant())
                    .map(i -> i.toEpochMilli() != started).orElse(true);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void removeNetwork(String id, Path mark) throws IOException {
        System.err.println("leftovers: removing network " + id + " of a test run that was killed");
        for (String ns : namespaces("v" + id + "-")) {
            for (String pid : Processes.output(List.of("ip", "netns", "pids", ns))) {
                Processes.signal(Long.parseLong(pid), "KILL");
            }
            Processes.run(List.of("ip", "netns", "del", ns));
        }
        Processes.run(List.of("ip", "link", "del", "vb" + id));
        Files.deleteIfExists(mark);
    }

    private static void removeDirectory(Path dir) throws IOException {
        System.err.println("leftovers: removing " + dir + " of a test run that was killed");
        Processes.killAllIn(dir);
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String mountPoint = line.split(" ")[1];
            if (Path.of(mountPoint).startsWith(dir)) Processes.run(List.of("umount", "-l", mountPoint));
        }
        Processes.deleteTree(dir);
    }

    private static List<String> namespaces(String prefix) throws IOException {
        return Processes.output(List.of("ip", "netns", "list")).stream().map(l -> l.split(" ")[0])
                .filter(n -> n.startsWith(prefix)).toList();
    }
}
