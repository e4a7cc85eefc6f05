package io.vigil.agent.pg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an external program with a time limit and captures what it printed. */
final class CommandRunner {

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The last few lines of output, for error messages. */
        String tail() {
            String[] lines = output.strip().split("\n");
            int from = Math.max(0, lines.length - 3);
            return String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
        }
    }

    private final Map<String, String> env;

    CommandRunner(Map<String, String> env) {
        this.env = env;
    }

    Result run(List<String> command, Duration timeout, Path workDir) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(127, "cannot run " + command.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Result(124, command.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Result(130, "interrupted");
        } catch (Exception e) {
            return new Result(p.exitValue(), "");
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
