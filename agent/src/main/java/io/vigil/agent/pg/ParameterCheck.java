package io.vigil.agent.pg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks Postgres parameter values with the server's own parser before they reach a config file:
 * {@code postgres -C} with each value given as {@code -c name=value} over an empty scratch
 * configuration. The check is exactly what this server version accepts (types, ranges, units,
 * enum values, syntax), with no hand-kept table; what a parameter accepts comes from
 * {@code postgres --describe-config}, and its unit from pg_settings when the server runs.
 */
public final class ParameterCheck {
    /** A parameter as the server describes it: BOOLEAN, INTEGER, REAL, STRING or ENUM, and its range. */
    record Description(String type, String min, String max) {
    }

    private static final Set<String> MEMORY_UNITS = Set.of("B", "kB", "8kB", "16kB", "32kB", "MB", "16MB");
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final Path postgres;
    private final Path scratch;
    private final List<String> asUser;
    private final CommandRunner runner;
    private Map<String, Description> described;

    /**
     * For this node's binaries. Postgres refuses root: as root (check-config at install time) the
     * check runs as the owner of the data directory, or of the nearest directory above it that
     * exists, with a scratch directory of its own.
     */
    static ParameterCheck forNode(io.vigil.config.AgentConfig cfg, CommandRunner runner) {
        Path postgres = cfg.binDir().resolve("postgres");
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            return new ParameterCheck(postgres, cfg.dataDir().resolveSibling(".vigil-parameter-check"), List.of(), runner);
        }
        try {
            Path existing = cfg.dataDir();
            while (existing != null && !Files.exists(existing)) existing = existing.getParent();
            String owner = existing == null ? "postgres" : Files.getOwner(existing).getName();
            if (owner.equals("root")) owner = "postgres";
            Path scratch = Files.createTempDirectory("vigil-parameter-check");
            Files.setOwner(scratch, scratch.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner));
            return new ParameterCheck(postgres, scratch, List.of("runuser", "-u", owner, "--"), runner);
        } catch (IOException e) {
            throw new PostgresException("cannot prepare a check of parameter values as the Postgres user: "
                    + e.getMessage());
        }
    }

    /** {@code asUser}: a command prefix that drops root privileges (empty when not root). */
    ParameterCheck(Path postgres, Path scratch, List<String> asUser, CommandRunner runner) {
        this.postgres = postgres;
        this.scratch = scratch;
        this.asUser = List.copyOf(asUser);
        this.runner = runner;
    }

    /**
     * What is wrong with each refused value, by parameter name (empty: all accepted). {@code units}:
     * pg_settings' units by name (empty when the server does not run). Throws {@link PostgresException} when postgres cannot run.
     */
    public Map<String, String> problems(Map<String, Object> parameters, Map<String, String> units) {
        Map<String, String> problems = new LinkedHashMap<>();
        Map<String, Object> toRun = new LinkedHashMap<>();
        parameters.forEach((name, value) -> {
            String text = text(value);
            if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                problems.put(name, "the value contains a control character (a line break?); Postgres config files"
                        + " take none");
            } else {
                toRun.put(name, value);
            }
        });
        if (toRun.isEmpty() || check(toRun).ok()) return problems;   // one run when all are good
        for (Map.Entry<String, Object> e : toRun.entrySet()) {
            CommandRunner.Result r = check(Map.of(e.getKey(), e.getValue()));
            String unit = units.isEmpty() ? null : units.getOrDefault(e.getKey(), "");
            if (!r.ok()) problems.put(e.getKey(), explain(e.getKey(), r.output(), unit));
        }
        return problems;
    }

    /** As written to a config file, unquoted. */
    static String text(Object value) {
        return String.valueOf(value);
    }

    private CommandRunner.Result check(Map<String, Object> parameters) {
        prepareScratch();
        List<String> cmd = new ArrayList<>(asUser);
        cmd.addAll(List.of(postgres.toString(), "-D", scratch.toString(), "-C", "server_version"));
        parameters.forEach((name, value) -> cmd.addAll(List.of("-c", name + "=" + text(value))));
        CommandRunner.Result r = runner.run(cmd, TIMEOUT, null);
        if (!r.ok() && !r.output().contains("FATAL:")) {
            throw new PostgresException("cannot check parameter values with " + postgres + ": " + r.tail());
        }
        return r;
    }

    /** The server's own words (message, detail, hint), then what the parameter accepts. */
    String explain(String name, String output, String unit) {
        List<String> parts = new ArrayList<>();
        for (String line : output.split("\n")) {
            for (String level : List.of("FATAL:  ", "DETAIL:  ", "HINT:  ")) {
                int at = line.indexOf(level);
                if (at >= 0) parts.add(line.substring(at + level.length()).strip());
            }
        }
        Description d = describe().get(name);
        if (unit == null && d != null && (d.type().equals("INTEGER") || d.type().equals("REAL"))) unit = probeUnit(name);
        String accepts = accepts(d, unit);
        if (accepts != null) parts.add(name + " takes " + accepts);
        return parts.isEmpty() ? "refused by postgres: " + output.strip() : String.join("; ", parts);
    }

    /**
     * In words; null for an enum (the server's hint lists its values). {@code unit}: pg_settings' unit,
     * or {@link #MEMORY} / {@link #TIME} when only the kind is known; "" or null for none.
     */
    static String accepts(Description d, String unit) {
        if (d == null || d.type().equals("ENUM")) return null;
        String range = d.min().isEmpty() ? "" : " from " + d.min() + " to " + d.max();
        boolean memory = unit != null && (unit.equals(MEMORY) || MEMORY_UNITS.contains(unit));
        boolean time = !memory && unit != null && !unit.isEmpty();
        String base = unit == null || unit.equals(MEMORY) || unit.equals(TIME) ? " (in its base unit)"
                : " in units of " + unit;
        String units = memory ? base + ", or with a unit: B, kB, MB, GB, TB"
                : time ? base + ", or with a unit: us, ms, s, min, h, d" : "";
        return switch (d.type()) {
            case "BOOLEAN" -> "on or off";
            case "INTEGER" -> "an integer" + range + units;
            case "REAL" -> "a number" + range + units;
            default -> "a string";
        };
    }

    static final String MEMORY = "memory";
    static final String TIME = "time";

    /** Whether a number parameter takes a memory or a time unit, asked of the server itself (it is not running). */
    private String probeUnit(String name) {
        CommandRunner.Result r = check(Map.of(name, "1MB"));
        if (r.ok() || r.output().contains("outside the valid range")) return MEMORY;
        return r.output().contains("Valid units for this parameter are \"us\"") ? TIME : "";
    }

    private synchronized Map<String, Description> describe() {
        if (described != null) return described;
        List<String> cmd = new ArrayList<>(asUser);
        cmd.addAll(List.of(postgres.toString(), "--describe-config"));
        CommandRunner.Result r = runner.run(cmd, TIMEOUT, null);
        Map<String, Description> out = new HashMap<>();
        if (r.ok()) {
            for (String line : r.output().split("\n")) {
                String[] f = line.split("\t", -1);
                if (f.length >= 7) out.put(f[0], new Description(f[3], f[5], f[6]));
            }
        }
        described = out;
        return out;
    }

    private void prepareScratch() {
        try {
            Files.createDirectories(scratch);
            Path conf = scratch.resolve("postgresql.conf");
            if (!Files.exists(conf)) Files.writeString(conf, "# empty: Vigil checks parameter values against it\n");
        } catch (IOException e) {
            throw new PostgresException("cannot prepare " + scratch + " to check parameter values: " + e.getMessage());
        }
    }
}
