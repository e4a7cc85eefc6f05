package io.vigil.agent.pg;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The postmaster's walsenders as their process titles show them ("walsender replicator
 * 10.0.0.2(40112) streaming 0/3000148"), read from /proc without asking Postgres. Cheap enough for
 * five looks a second: the postmaster's children file and each walsender's cmdline stay open and
 * are re-read in place, and while the children stay the same and every walsender streams nothing
 * else is read. One thread uses it.
 */
final class WalSenderTitles implements AutoCloseable {
    private static final Set<String> STATES = Set.of("startup", "catchup", "streaming", "backup", "stopping", "idle");

    private long postmaster;
    private RandomAccessFile children;
    private byte[] lastChildren = new byte[0];
    /** Every child seen: its cmdline file when it is a walsender, null when it is not. */
    private final Map<Long, RandomAccessFile> titles = new HashMap<>();
    /** Walsender pid to the state word its title showed last. */
    private final Map<Long, String> states = new TreeMap<>();
    private final byte[] buffer = new byte[8192];

    /** "pid:state" of each walsender of {@code postmasterPid}; null when the kernel has no children file. */
    String read(long postmasterPid) {
        try {
            if (postmasterPid != postmaster || children == null) reopen(postmasterPid);
            byte[] now = readAll(children);
            boolean same = Arrays.equals(now, lastChildren);
            lastChildren = now;
            if (!same) track(new String(now, StandardCharsets.US_ASCII).strip());
            for (Map.Entry<Long, String> e : states.entrySet()) {
                if (!same || !e.getValue().equals("streaming")) e.setValue(stateOf(titles.get(e.getKey())));
            }
        } catch (IOException e) {
            close();
            return null;
        }
        StringBuilder sb = new StringBuilder();
        states.forEach((pid, state) -> sb.append(sb.length() == 0 ? "" : ",").append(pid).append(':').append(state));
        return sb.toString();
    }

    /** The whole file, read again from its start (a busy primary's children list outgrows one buffer). */
    private byte[] readAll(RandomAccessFile f) throws IOException {
        f.seek(0);
        byte[] out = new byte[0];
        int n;
        while ((n = f.read(buffer)) > 0) {
            out = Arrays.copyOf(out, out.length + n);
            System.arraycopy(buffer, 0, out, out.length - n, n);
        }
        return out;
    }

    private void reopen(long postmasterPid) throws IOException {
        close();
        postmaster = postmasterPid;
        children = new RandomAccessFile("/proc/" + postmasterPid + "/task/" + postmasterPid + "/children", "r");
    }

    /** Keeps the children listed, opening the cmdline of each new one and keeping it only for walsenders. */
    private void track(String list) {
        Set<Long> now = new java.util.HashSet<>();
        for (String c : list.isEmpty() ? List.<String>of() : List.of(list.split(" "))) now.add(Long.parseLong(c));
        titles.entrySet().removeIf(e -> {
            if (now.contains(e.getKey())) return false;
            closeQuietly(e.getValue());
            states.remove(e.getKey());
            return true;
        });
        for (long pid : now) {
            if (titles.containsKey(pid)) continue;
            RandomAccessFile f = open(pid);
            boolean sender = f != null && title(f).contains("walsender");
            if (!sender) closeQuietly(f);
            titles.put(pid, sender ? f : null);
            if (sender) states.put(pid, "");
        }
    }

    /** A process's cmdline, open for re-reading in place; null when it has exited. */
    static RandomAccessFile open(long pid) {
        try {
            return new RandomAccessFile("/proc/" + pid + "/cmdline", "r");
        } catch (IOException e) {
            return null;   // gone already
        }
    }

    private String stateOf(RandomAccessFile f) {
        return stateWord(title(f));
    }

    private String title(RandomAccessFile f) {
        try {
            f.seek(0);
            int n = f.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";   // exited
        }
    }

    /** The state in a walsender's title (the position after it moves all the time); "" when it shows none. */
    static String stateWord(String title) {
        for (String t : title.split("\\s+")) {
            if (STATES.contains(t)) return t;
        }
        return "";
    }

    static void closeQuietly(RandomAccessFile f) {
        if (f == null) return;
        try {
            f.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }

    @Override
    public void close() {
        closeQuietly(children);
        children = null;
        lastChildren = new byte[0];
        titles.values().forEach(WalSenderTitles::closeQuietly);
        titles.clear();
        states.clear();
    }
}
