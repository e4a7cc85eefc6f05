package io.vigil.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The pure core imports no adapter and does no I/O: no Postgres, etcd, processes, clock or sleep. */
class CorePurityTest {
    private static final Path CORE = Path.of(System.getProperty("vigil.repo", ".."),
            "agent/src/main/java/io/vigil/agent/core");
    private static final Pattern FORBIDDEN = Pattern.compile("import io\\.vigil\\.agent\\.(?!core\\.)"
            + "|import io\\.etcd|import java\\.sql|import java\\.net|import java\\.io\\.File"
            + "|ProcessBuilder|System\\.nanoTime|System\\.currentTimeMillis|Thread\\.sleep|Instant\\.now|Files\\.");

    @Test
    void theCoreDoesNoIoAndImportsNoAdapter() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORE)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).hasSizeGreaterThan(10);
        for (Path f : files) {
            List<String> offending = Files.readAllLines(f).stream().filter(l -> FORBIDDEN.matcher(l).find()).toList();
            assertThat(offending).as(f.getFileName() + " reaches outside the core").isEmpty();
        }
    }
}
