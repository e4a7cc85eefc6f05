package io.vigil.agent.pg;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * One process watched through its {@code /proc/<pid>/stat}, opened once and re-read in place: two
 * system calls and no allocation per look, cheap enough to poll five times a second. The open file
 * stays bound to that process, so a reaped process reads as gone even if its pid is reused.
 */
public final class ProcStat implements Closeable {
    private final RandomAccessFile file;
    private final byte[] buffer = new byte[1024];

    private ProcStat(RandomAccessFile file) {
        this.file = file;
    }

    /** Opens the process's stat file; fails when no such process exists. */
    public static ProcStat open(long pid) throws IOException {
        return new ProcStat(new RandomAccessFile("/proc/" + pid + "/stat", "r"));
    }

    /** Alive and not a zombie (a killed postmaster stays a zombie until its new parent reaps it). */
    public boolean alive() {
        int n;
        try {
            file.seek(0);
            n = file.read(buffer);
        } catch (IOException e) {
            return false;   // reaped: the kernel answers ESRCH
        }
        if (n <= 0) return false;
        for (int i = n - 1; i >= 0; i--) {
            if (buffer[i] == ')') {   // the state follows the command name, which may itself hold ')'
                if (i + 2 >= n) return true;
                byte state = buffer[i + 2];
                return state != 'Z' && state != 'X';
            }
        }
        return true;   // unreadable format: it exists
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing to release
        }
    }
}
