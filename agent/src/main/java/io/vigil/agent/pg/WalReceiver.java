package io.vigil.agent.pg;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * This node's WAL receiver as its process title shows it ("walreceiver streaming 0/3000148"), read from
 * /proc without asking Postgres: cheap enough for two looks a second. The receiver's cmdline stays open
 * and is re-read in place; the postmaster's children are listed again only when it is gone. One thread
 * uses it.
 */
public final class WalReceiver implements AutoCloseable {
    private final Supplier<Long> postmasterPid;
    private final byte[] buffer = new byte[512];
    private RandomAccessFile cmdline;

    /** {@code postmasterPid}: the local postmaster's pid, or null when it does not run. */
    public WalReceiver(Supplier<Long> postmasterPid) {
        this.postmasterPid = postmasterPid;
    }

    /** Whether the receiver streams now. */
    public boolean streaming() {
        String t = title();
        return t != null && WalSenderTitles.stateWord(t).equals("streaming");
    }

    /** The receiver's title, or null when there is none. */
    String title() {
        if (cmdline != null) {
            String t = read(cmdline);
            if (t.contains("walreceiver")) return t;
            close();
        }
        cmdline = find();
        return cmdline == null ? null : read(cmdline);
    }

    private RandomAccessFile find() {
        Long pm = postmasterPid.get();
        if (pm == null) return null;
        try {
            String children = Files.readString(Path.of("/proc/" + pm + "/task/" + pm + "/children"),
                    StandardCharsets.US_ASCII).strip();
            for (String pid : children.isEmpty() ? new String[0] : children.split(" ")) {
                RandomAccessFile f = WalSenderTitles.open(Long.parseLong(pid));
                if (f != null && read(f).contains("walreceiver")) return f;
                WalSenderTitles.closeQuietly(f);
            }
        } catch (IOException | RuntimeException e) {
            // no children file: no receiver known
        }
        return null;
    }

    private String read(RandomAccessFile f) {
        try {
            f.seek(0);
            int n = f.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";   // exited
        }
    }

    @Override
    public void close() {
        WalSenderTitles.closeQuietly(cmdline);
        cmdline = null;
    }
}
