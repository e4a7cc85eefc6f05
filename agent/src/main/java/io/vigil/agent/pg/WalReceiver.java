package io.vigil.agent.pg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This node's WAL receiver as its process title shows it ("walreceiver streaming 0/3000148"), among
 * the postmaster's children in /proc: no query, so it can be asked twice a second. The position in
 * the title moves whenever WAL arrives.
 */
public final class WalReceiver {
    private WalReceiver() {
    }

    /** The title of {@code postmasterPid}'s walreceiver, or null when it has none (or is not running). */
    public static String title(Long postmasterPid) {
        if (postmasterPid == null) return null;
        try {
            String children = Files.readString(Path.of("/proc/" + postmasterPid + "/task/" + postmasterPid + "/children"),
                    StandardCharsets.US_ASCII).strip();
            if (children.isEmpty()) return null;
            for (String pid : children.split(" ")) {
                String title = cmdline(pid);
                if (title.contains("walreceiver")) return title.strip();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether a walreceiver title says it streams. */
    public static boolean streaming(String title) {
        return title != null && WalSenderTitles.stateWord(title).equals("streaming");
    }

    private static String cmdline(String pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";   // exited meanwhile
        }
    }
}
