package io.vigil.agent.pg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this node's WAL receiver streams, from its process title ("walreceiver streaming 0/3000148")
 * among the postmaster's children in /proc: no query, so it can be asked twice a second.
 */
public final class WalReceiver {
    private WalReceiver() {
    }

    /** True when a child of {@code postmasterPid} is a walreceiver whose title says it streams. */
    public static boolean streaming(Long postmasterPid) {
        if (postmasterPid == null) return false;
        try {
            String children = Files.readString(Path.of("/proc/" + postmasterPid + "/task/" + postmasterPid + "/children"),
                    StandardCharsets.US_ASCII).strip();
            if (children.isEmpty()) return false;
            for (String pid : children.split(" ")) {
                String title = title(pid);
                if (title.contains("walreceiver") && WalSenderTitles.stateWord(title).equals("streaming")) return true;
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String title(String pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";   // exited meanwhile
        }
    }
}
