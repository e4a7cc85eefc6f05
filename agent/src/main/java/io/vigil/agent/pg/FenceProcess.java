package io.vigil.agent.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fence outside the JVM: a small bash process (fence.sh) started beside a leading agent. The
 * agent writes the lease deadline (minus the safety margin) to a heartbeat file at every renewal, in place;
 * if the deadline passes, the fence kills Postgres, even while the agent is frozen or dead. The
 * file is removed when the agent stops leading.
 */
public final class FenceProcess {
    private static final Logger log = LoggerFactory.getLogger(FenceProcess.class);
    private final Path script;
    private final Path heartbeat;
    private final Path output;
    private final Path dataDir;
    private final LongSupplier monotonicNanos;
    private Process process;
    private boolean scriptWritten;

    public FenceProcess(Path dataDir, LongSupplier monotonicNanos) {
        Path dir = dataDir.toAbsolutePath().getParent();
        this.script = dir.resolve("vigil-fence.sh");
        this.heartbeat = dir.resolve("vigil-fence.deadline");
        this.output = dir.resolve("vigil-fence.log");
        this.dataDir = dataDir;
        this.monotonicNanos = monotonicNanos;
    }

    /** New deadline ({@code fenceAtNanos} on the agent's monotonic clock), or 0: no longer leading. */
    public synchronized void heartbeat(long fenceAtNanos) {
        try {
            if (fenceAtNanos == 0) {
                Files.deleteIfExists(heartbeat);
                return;
            }
            long leftMs = Math.max(0, (fenceAtNanos - monotonicNanos.getAsLong()) / 1_000_000);
            // Overwritten in place, same length each time: needs no free space once the file exists (a full
            // disk must not stop a primary that holds its lease). The check value lets fence.sh skip a torn read.
            long deadlineMillis = uptimeMillis() + leftMs;
            try (FileChannel ch = FileChannel.open(heartbeat, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ByteBuffer line = ByteBuffer.wrap(heartbeatLine(deadlineMillis).getBytes(StandardCharsets.US_ASCII));
                while (line.hasRemaining()) ch.write(line, line.position());
            }
            if (process == null || !process.isAlive()) start(deadlineMillis);
        } catch (IOException e) {
            log.error("fence heartbeat failed ({}); the in-process fence still stops Postgres at the deadline",
                    e.getMessage());
        }
    }

    /** The heartbeat file's one line: the deadline and its check value, both fixed width (fence.sh reads them). */
    public static String heartbeatLine(long deadlineMillis) {
        return String.format("%019d %010d\n", deadlineMillis, check(deadlineMillis));
    }

    public static long check(long deadlineMillis) {
        return (deadlineMillis % 1_000_000_007L) * 48_271L % 2_147_483_647L;
    }

    /**
     * Stops Postgres at once the way the fence process does (writers first, then the walsenders let
     * finish for 200 ms at most, then everything killed): the agent's own fence at the deadline.
     * Returns whether the script ran to its end.
     */
    public synchronized boolean stopPostgresNow() {
        try {
            if (!scriptWritten) writeScript();   // this jar's copy, not one an older version left
            Process p = new ProcessBuilder(List.of("bash", script.toString(), "--now", dataDir.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                    .start();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) return true;
            p.destroyForcibly();
            log.error("the fence script did not finish; Postgres is stopped with pg_ctl instead");
        } catch (IOException e) {
            log.error("the fence script could not run ({}); Postgres is stopped with pg_ctl instead", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void writeScript() throws IOException {
        try (InputStream in = FenceProcess.class.getResourceAsStream("/io/vigil/agent/fence.sh")) {
            if (in == null) throw new IOException("fence.sh is missing from the jar");
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        scriptWritten = true;
    }

    private void start(long deadlineMillis) throws IOException {
        writeScript();
        process = new ProcessBuilder(List.of("bash", script.toString(), heartbeat.toString(), dataDir.toString(),
                Long.toString(deadlineMillis)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start();
        log.info("fence process started (pid {}): it stops Postgres if the lease deadline passes without a heartbeat",
                process.pid());
    }

    /** Milliseconds on the /proc/uptime clock, the one fence.sh reads. */
    public static long uptimeMillis() {
        try {
            String up = Files.readString(Path.of("/proc/uptime")).split(" ")[0];
            String[] parts = up.split("\\.");
            return Long.parseLong(parts[0]) * 1000 + (parts.length > 1 ? Long.parseLong((parts[1] + "00").substring(0, 3)) : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
