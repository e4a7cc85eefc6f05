package io.vigil.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The optional Linux watchdog (Patroni's {@code watchdog} section): a device that resets the host
 * when a leading agent stops feeding it. {@code safetyMarginSeconds} is how long before the leader
 * key's expiry the reset comes; -1 means half of ttl. The leader lease is made long enough for it
 * (see ClusterSettings#leaderLeaseSeconds).
 */
public record WatchdogSettings(Mode mode, Path device, int safetyMarginSeconds) {
    public static final Path DEFAULT_DEVICE = Path.of("/dev/watchdog");
    public static final WatchdogSettings OFF = new WatchdogSettings(Mode.OFF, DEFAULT_DEVICE, 5);

    public enum Mode {
        /** never used */
        OFF,
        /** used when it works; a node without it may still lead */
        AUTOMATIC,
        /** a node may lead only with a working watchdog */
        REQUIRED
    }

    /** The watchdog timeout on a leader lease of {@code lease}: the lease minus the margin. */
    public Duration timeout(Duration lease, int ttlSeconds) {
        return Duration.ofSeconds(lease.toSeconds() - marginSeconds(ttlSeconds));
    }

    /** How long before the leader lease ends the host must be reset (0 when off; -1 counts half of ttl). */
    public int marginSeconds(int ttlSeconds) {
        if (mode == Mode.OFF) return 0;
        return safetyMarginSeconds < 0 ? ttlSeconds / 2 : safetyMarginSeconds;
    }

    /**
     * Reads Patroni's spelling: {@code off}, {@code automatic}, {@code required}; YAML's {@code off}
     * and {@code on} arrive as the booleans false and true. Null for anything else.
     */
    static Mode parseMode(String text) {
        if (text == null) return Mode.OFF;
        return switch (text.trim().toLowerCase()) {
            case "off", "false" -> Mode.OFF;
            case "automatic", "on", "true" -> Mode.AUTOMATIC;
            case "required" -> Mode.REQUIRED;
            default -> null;
        };
    }
}
