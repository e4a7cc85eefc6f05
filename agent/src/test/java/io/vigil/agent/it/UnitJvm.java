package io.vigil.agent.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM flags and environment that systemd/vigil.service starts the agent with, so that the
 * harness's agents run as operators' do. The class-data archive is left out: the harness builds none.
 */
final class UnitJvm {
    static final Path UNIT = Path.of(System.getProperty("vigil.repo", "..")).resolve("systemd/vigil.service");

    private UnitJvm() {
    }

    /** {@code env NAME=value ... java FLAGS}: the start of the agent's command line, before {@code -jar}. */
    static List<String> javaCommand(Path java) {
        List<String> cmd = new ArrayList<>(List.of("env"));
        cmd.addAll(environment());
        cmd.add(java.toString());
        cmd.addAll(flags());
        return cmd;
    }

    static List<String> flags() {
        List<String> words = execStart(UNIT);
        return words.subList(1, words.indexOf("-jar")).stream()
                .filter(f -> !f.startsWith("-XX:SharedArchiveFile=") && !f.startsWith("-Xshare:"))
                .toList();
    }

    /** A unit's ExecStart command, word by word: {@code java FLAGS -jar JAR ARGS}. */
    static List<String> execStart(Path unit) {
        List<String> words = Arrays.asList(directive(unit, "ExecStart").split("\\s+"));
        if (words.indexOf("-jar") < 2) throw new IllegalStateException(unit + ": ExecStart has no 'java ... -jar'");
        return words;
    }

    /** The unit's Environment= entries, without VIGIL_CONFIG (the harness passes -c). */
    static List<String> environment() {
        return Arrays.stream(directive(UNIT, "Environment").split("\\s+"))
                .filter(e -> e.contains("=") && !e.startsWith("VIGIL_CONFIG="))
                .toList();
    }

    private static String directive(Path unit, String name) {
        try {
            return Files.readAllLines(unit).stream()
                    .filter(l -> l.startsWith(name + "="))
                    .map(l -> l.substring(name.length() + 1).strip())
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(unit + " has no " + name + "= line"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + unit, e);
        }
    }
}
