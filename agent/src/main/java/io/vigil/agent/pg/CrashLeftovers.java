package io.vigil.agent.pg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a killed postmaster leaves behind that would stop the next start: orphaned backends still
 * running in the data directory, and lock files naming a dead (or zombie) postmaster.
 */
final class CrashLeftovers {
    private static final Logger log = LoggerFactory.getLogger(CrashLeftovers.class);

    private final Path dataDir;
    private final Path socketLock;

    CrashLeftovers(Path dataDir, Path socketLock) {
        this.dataDir = dataDir;
        this.socketLock = socketLock;
    }

    /**
     * Waits briefly (at most 5 s) for orphaned backends to exit, and removes postmaster.pid when the
     * pid in it is dead or a zombie (Postgres itself would take a zombie for a running postmaster and
     * refuse to start until init reaps it). Nothing to do when no pid file is left or its postmaster lives.
     */
    void clear(boolean postmasterAlive) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile) || postmasterAlive) return;
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!orphans().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        removeStaleLock(pidFile);
        removeStaleLock(socketLock);
    }

    /** Deletes a Postgres lock file whose first line is the pid of a dead (or zombie) process. */
    private void removeStaleLock(Path lock) {
        try {
            List<String> lines = Files.exists(lock) ? Files.readAllLines(lock) : List.of();
            if (lines.isEmpty() || PostgresObserver.isLiveProcess(Long.parseLong(lines.get(0).strip()))) return;
            Files.deleteIfExists(lock);
            log.info("removed {} left by a postmaster that is no longer running", lock.getFileName());
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot check stale lock {}: {}", lock, e.getMessage());
        }
    }

    /** Live processes (not zombies) whose working directory is the data directory: orphaned backends. */
    private List<Long> orphans() {
        List<Long> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            s.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).equals(dataDir)
                            && PostgresObserver.isLiveProcess(Long.parseLong(p.getFileName().toString()))) {
                        out.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException ignored) {
                    // gone, or not ours
                }
            });
        } catch (IOException ignored) {
            // no /proc: nothing to wait for
        }
        return out;
    }
}
