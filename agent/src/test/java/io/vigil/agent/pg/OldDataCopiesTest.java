package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data directories moved aside by re-clones: the newest keep_old_data stay, with their WAL; none under the free floor. */
class OldDataCopiesTest {
    @TempDir
    Path dir;

    private Path copy(String stamp) throws Exception {
        Path c = Files.createDirectories(dir.resolve("data.failed-" + stamp));
        Files.writeString(c.resolve("PG_VERSION"), "15\n");
        return c;
    }

    @Test
    void theNewestStayOlderOnesGoWithTheWalTheyTookAside() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path oldest = copy("20261201-100000");
        Path wal = Files.createDirectories(dir.resolve("wal.failed-20261201-100000"));
        Files.writeString(wal.resolve("000000010000000000000001"), "x");
        Files.createSymbolicLink(oldest.resolve("pg_wal"), wal);
        Path middle = copy("20261202-100000");
        Path newest = copy("20261203-100000");
        Path other = Files.createDirectories(dir.resolve("data2.failed-20261201-100000"));

        OldDataCopies copies = new OldDataCopies(data, 1, 0);
        assertThat(copies.list()).containsExactly(newest, middle, oldest);
        copies.prune();
        assertThat(copies.list()).containsExactly(newest);
        assertThat(wal).as("the WAL the oldest copy took aside").doesNotExist();
        assertThat(data).exists();
        assertThat(other).as("another data directory's copy").exists();

        new OldDataCopies(data, 0, 0).prune();
        assertThat(newest).doesNotExist();
    }

    @Test
    void underTheFreeFloorNoCopyStays() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        copy("20261202-100000");
        copy("20261203-100000");
        new OldDataCopies(data, 5, 0).prune();
        assertThat(new OldDataCopies(data, 5, 0).list()).hasSize(2);
        new OldDataCopies(data, 5, 100).prune();   // a floor no disk meets
        assertThat(new OldDataCopies(data, 5, 0).list()).isEmpty();
    }
}
