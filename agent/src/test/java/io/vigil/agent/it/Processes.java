package io.vigil.agent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small process helpers for the harness: run as the Postgres OS user, signal, find orphans. */
final class Processes {
    static final String PG_USER = System.getProperty("vigil.pgUser", "postgres");

    private Processes() {
    }

    static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    /** The command, run as the Postgres OS user when we are root (setpriv execs: the pid is the program's). */
    static List<String> asPgUser(List<String> command) {
        if (!isRoot()) return command;
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + PG_USER, "--regid=" + PG_USER,
                "--init-groups", "--reset-env"));
        out.addAll(command);
        return out;
    }

    static int run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The command's non-blank output lines, or none when it fails. */
    static List<String> output(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new String(p.getInputStream().readAllBytes()).lines().filter(l -> !l.isBlank()).toList();
        try {
            return p.waitFor() == 0 ? lines : List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    static void signal(long pid, String sig) {
        run(List.of("kill", "-" + sig, String.valueOf(pid)));
    }

    static void chownToPgUser(Path path) {
        if (isRoot()) run(List.of("chown", "-R", PG_USER + ":", path.toString()));
    }

    /** Every process whose working directory is under {@code dir} (postmaster children, orphans). */
    static List<Long> processesIn(Path dir) {
        List<Long> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            s.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    Path cwd = Files.readSymbolicLink(p.resolve("cwd"));
                    if (cwd.startsWith(dir)) out.add(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | UnsupportedOperationException ignored) {
                    // process gone or not ours
                }
            });
        } catch (IOException ignored) {
            // no /proc
        }
        return out;
    }

    static void killAllIn(Path dir) {
        for (long pid : processesIn(dir)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    static void deleteTree(Path dir) {
        run(List.of("rm", "-rf", dir.toString()));
    }
}
