package io.vigil.agent.pg;

import io.vigil.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory on disk: made for a bootstrap (and undone if that fails), refused when it holds
 * someone's files, and moved aside when a replica must be cloned afresh ({@link OldDataCopies} keeps
 * the newest of those copies).
 */
final class DataDirectory {
    private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);

    private final AgentConfig cfg;
    /** Directories whose contents the running or last bootstrap wrote (they were absent or empty before it). */
    private List<BootstrapDir> bootstrapDirs = List.of();

    /** A directory a bootstrap writes into; {@code madeItself}: it did not exist before. */
    private record BootstrapDir(Path dir, boolean madeItself) {
    }

    DataDirectory(AgentConfig cfg) {
        this.cfg = cfg;
    }

    Path path() {
        return cfg.dataDir();
    }

    /** Makes the (empty or absent) data directory for initdb, remembering what the bootstrap will own. */
    void prepareForBootstrap() {
        bootstrapDirs = List.of();
        List<BootstrapDir> own = new ArrayList<>();
        try {
            boolean existed = Files.exists(path());
            requireNothingIn("run initdb");
            Files.createDirectories(path(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            own.add(new BootstrapDir(path(), !existed));
            Path walDir = walDirOption();
            if (walDir != null && isAbsentOrEmpty(walDir)) own.add(new BootstrapDir(walDir, !Files.exists(walDir)));
        } catch (IOException e) {
            throw new PostgresException("cannot create data directory " + path() + ": " + e.getMessage());
        }
        bootstrapDirs = List.copyOf(own);
    }

    /**
     * After a failed bootstrap, removes what it wrote to the data directory and to a WAL directory
     * given as {@code --waldir} (and each directory, if it made that too): an initdb that never served
     * the cluster, as Patroni does. Anything that was there before is left alone. Returns the data
     * directory emptied, or null. The caller makes sure no postmaster runs in it.
     */
    Path discardFailedBootstrap() {
        if (bootstrapDirs.isEmpty() || !Files.exists(path())) return null;
        List<BootstrapDir> own = bootstrapDirs;
        bootstrapDirs = List.of();
        for (BootstrapDir d : own) {
            try (var walk = Files.walk(d.dir())) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    if (!p.equals(d.dir()) || d.madeItself()) Files.delete(p);
                }
            } catch (NoSuchFileException e) {
                // initdb failed before it made this one
            } catch (IOException e) {
                throw new PostgresException("cannot remove the failed bootstrap's files in " + d.dir() + ": "
                        + e.getMessage());
            }
        }
        return path();
    }

    /** Readies an empty or absent data directory for pg_basebackup, which wants to make it itself. */
    void prepareForClone() {
        try {
            requireNothingIn("clone");
            Files.deleteIfExists(path());
        } catch (IOException e) {
            throw new PostgresException("cannot prepare " + path() + " for cloning: " + e.getMessage());
        }
    }

    /** Moves the data directory aside (does not delete it) so that a fresh clone can take its place. */
    Path moveAside() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        // WAL kept elsewhere (pg_wal a link, e.g. a waldir) goes aside with its data: a new clone may want that place
        Path walDir = linkedWalDir();
        Path walAside = walDir == null ? null : freeSibling(walDir, stamp);
        if (walDir != null) {
            try {
                Files.move(walDir, walAside);
            } catch (IOException e) {
                throw new PostgresException("cannot move the WAL directory " + walDir + " (" + path().resolve("pg_wal")
                        + " links there) aside to " + walAside + ": " + e.getMessage() + "; move it aside by hand");
            }
        }
        Path target = freeSibling(path(), stamp);
        try {
            Files.move(path(), target);
        } catch (IOException e) {
            if (walDir != null) {
                try {
                    Files.move(walAside, walDir);
                } catch (IOException back) {
                    log.warn("could not move {} back to {}: {}", walAside, walDir, back.getMessage());
                }
            }
            throw new PostgresException("cannot move " + path() + " aside to " + target + ": " + e.getMessage());
        }
        if (walAside != null) {
            try {
                Path link = target.resolve("pg_wal");
                Files.delete(link);
                Files.createSymbolicLink(link, walAside);
            } catch (IOException e) {
                log.warn("{} moved aside to {}, but {} could not be pointed there: {}", walDir, walAside, target, e.getMessage());
            }
        }
        return target;
    }

    /** Refuses a data directory that holds anything (it has no PG_VERSION, or we would not be here): someone's files. */
    private void requireNothingIn(String what) throws IOException {
        if (!isAbsentOrEmpty(path())) {
            throw new PostgresException("data directory " + path() + " holds files but no database (no PG_VERSION):"
                    + " cannot " + what + " into it; move its contents elsewhere");
        }
    }

    /** The WAL directory given to initdb as --waldir=DIR (-X is not among Vigil's options), or null. */
    private Path walDirOption() {
        for (String o : cfg.initdbOptions()) {
            if (o.startsWith("--waldir=")) {
                Path p = Path.of(o.substring("--waldir=".length()));
                return p.isAbsolute() ? p.normalize() : null;
            }
        }
        return null;
    }

    private static boolean isAbsentOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) return true;
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** The directory the data directory's pg_wal links to (a waldir), or null when pg_wal is a plain directory. */
    private Path linkedWalDir() {
        Path link = path().resolve("pg_wal");
        if (!Files.isSymbolicLink(link)) return null;
        try {
            Path target = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            return Files.isDirectory(target) ? target : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code p}.failed-{@code stamp}, with -2, -3 ... when that name is taken (moved aside once already this second). */
    private static Path freeSibling(Path p, String stamp) {
        Path target = p.resolveSibling(p.getFileName() + ".failed-" + stamp);
        for (int n = 2; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
            target = p.resolveSibling(p.getFileName() + ".failed-" + stamp + "-" + n);
        }
        return target;
    }
}
