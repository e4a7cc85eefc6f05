package io.vigil.agent.pg;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies of the data directory that re-clones and failed clones moved aside ({@code <data_dir>.failed-<time>},
 * with their WAL directory when it lived elsewhere): the newest {@code keep} stay for an operator to
 * look into, older ones go, and none stays while the disk has less than {@code freeFloorPercent} free.
 */
final class OldDataCopies {
    private static final Logger log = LoggerFactory.getLogger(OldDataCopies.class);

    private final Path dataDir;
    private final int keep;
    private final int freeFloorPercent;

    OldDataCopies(Path dataDir, int keep, int freeFloorPercent) {
        this.dataDir = dataDir;
        this.keep = keep;
        this.freeFloorPercent = freeFloorPercent;
    }

    /** The copies, newest first (their names carry the time they were moved aside). */
    List<Path> list() {
        String prefix = dataDir.getFileName() + ".failed-";
        try (Stream<Path> s = Files.list(dataDir.toAbsolutePath().getParent())) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        } catch (IOException e) {
            log.warn("cannot list the data directory copies beside {}: {}", dataDir, e.getMessage());
            return List.of();
        }
    }

    /** Deletes copies beyond the newest {@code keep}, then oldest first while the disk is short of its free floor. */
    void prune() {
        List<Path> copies = new ArrayList<>(list());
        while (copies.size() > keep) delete(copies.remove(copies.size() - 1), "more than keep_old_data " + keep);
        while (!copies.isEmpty() && freePercent() < freeFloorPercent) {
            delete(copies.remove(copies.size() - 1), "under " + freeFloorPercent + " % free (old_data_free_floor)");
        }
    }

    private double freePercent() {
        try {
            FileStore store = Files.getFileStore(dataDir.toAbsolutePath().getParent());
            return store.getTotalSpace() == 0 ? 100 : 100.0 * store.getUsableSpace() / store.getTotalSpace();
        } catch (IOException e) {
            return 100;   // cannot tell: keep what keep_old_data allows
        }
    }

    /** Deletes a copy, and the WAL directory it took aside with it (its pg_wal links to a ".failed-" directory). */
    private static void delete(Path copy, String why) {
        Path wal = copy.resolve("pg_wal");
        try {
            if (Files.isSymbolicLink(wal)) {
                Path target = Files.readSymbolicLink(wal);
                if (target.getFileName() != null && target.getFileName().toString().contains(".failed-")) deleteTree(target);
            }
            deleteTree(copy);
            log.info("deleted {}, a data directory moved aside earlier: {}", copy, why);
        } catch (IOException e) {
            log.warn("could not delete {} ({}): {}", copy, why, e.getMessage());
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
