package io.vigil.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** No package imports another that imports it back, directly or through others. */
class PackageCyclesTest {
    private static final Path REPO = Path.of(System.getProperty("vigil.repo", ".."));
    private static final Pattern USE = Pattern.compile("\\b(io\\.vigil(?:\\.[a-z]+)+)\\.[A-Z]");

    @Test
    void thePackagesDependOneWay() throws Exception {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String module : List.of("common", "agent")) {
            Path root = REPO.resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
                    Set<String> used = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
                    Matcher m = USE.matcher(Files.readString(f));
                    while (m.find()) if (!m.group(1).equals(pkg)) used.add(m.group(1));
                }
            }
        }
        assertThat(uses).containsKeys("io.vigil.agent.core", "io.vigil.agent.ha", "io.vigil.cluster");
        List<String> cycles = new ArrayList<>();
        for (String a : uses.keySet()) {
            for (String b : uses.get(a)) {
                if (reaches(uses, b, a, new TreeSet<>())) cycles.add(a + " -> " + b + " -> ... -> " + a);
            }
        }
        assertThat(cycles).isEmpty();
    }

    private static boolean reaches(Map<String, Set<String>> uses, String from, String to, Set<String> seen) {
        if (from.equals(to)) return true;
        if (!seen.add(from)) return false;
        for (String n : uses.getOrDefault(from, Set.of())) {
            if (reaches(uses, n, to, seen)) return true;
        }
        return false;
    }
}
