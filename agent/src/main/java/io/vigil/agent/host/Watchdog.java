package io.vigil.agent.host;

import io.vigil.config.WatchdogSettings;
import io.vigil.config.WatchdogSettings.Mode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional Linux watchdog (/dev/watchdog, e.g. softdog), armed while this node leads: fed at
 * every lease renewal, so a frozen or killed agent gets its host reset {@code safety_margin} seconds
 * before the leader key expires. Disarmed (magic close) when the node stops leading.
 * <p>
 * Java cannot ioctl, so the timeout is set by a short perl helper that opens the device, sets and
 * reads back the timeout, and closes it with the magic character; the agent then opens it for good.
 */
public final class Watchdog {
    /** Sets the device's timeout to {@code seconds}; returns the timeout in force, or empty when unknown. */
    public interface TimeoutSetter {
        OptionalInt set(Path device, int seconds);
    }

    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    private static final long RETRY_AFTER_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final WatchdogSettings settings;
    private final TimeoutSetter timeoutSetter;
    private final LongSupplier clock;
    private FileOutputStream device;
    private int armedTimeout;
    private String failure;
    private long failedAtNanos;

    public Watchdog(WatchdogSettings settings, TimeoutSetter timeoutSetter, LongSupplier clock) {
        this.settings = settings;
        this.timeoutSetter = timeoutSetter;
        this.clock = clock;
    }

    /** Why this node may not lead (watchdog.mode required only), or null. */
    public synchronized String problem() {
        if (settings.mode() != Mode.REQUIRED || device != null) return null;
        String missing = deviceProblem();
        if (missing != null) return missing;
        if (failure != null && clock.getAsLong() - failedAtNanos < RETRY_AFTER_NANOS) return failure;
        return null;
    }

    /**
     * Called at every renewal while leading: arms the device if needed, then feeds it. Returns false
     * when the watchdog is required and does not work (see {@link #problem()}). {@code renewalGap} is
     * the longest a healthy leader goes between renewals.
     */
    public synchronized boolean keepalive(Duration lease, int ttlSeconds, Duration renewalGap) {
        if (settings.mode() == Mode.OFF) return true;
        int wanted = (int) settings.timeout(lease, ttlSeconds).toSeconds();
        if (device != null && wanted != armedTimeout) disable();
        if (device == null && !arm(wanted, renewalGap)) return settings.mode() != Mode.REQUIRED;
        try {
            device.write('1');
            device.flush();
            return true;
        } catch (IOException e) {
            fail("feeding " + settings.device() + " failed (" + e.getMessage() + ")");
            closeQuietly();
            return settings.mode() != Mode.REQUIRED;
        }
    }

    /** Disarms the device (magic close). Called when this node stops leading. */
    public synchronized void disable() {
        if (device == null) return;
        try {
            device.write('V');
            device.flush();
            log.info("watchdog {} disarmed", settings.device());
        } catch (IOException e) {
            log.warn("could not disarm the watchdog {} ({}); it may still reset this host", settings.device(),
                    e.getMessage());
        }
        closeQuietly();
    }

    public synchronized boolean armed() {
        return device != null;
    }

    private boolean arm(int wanted, Duration renewalGap) {
        String missing = deviceProblem();
        if (missing != null) return fail(missing);
        if (wanted < 1) {
            return fail("the leader lease minus watchdog.safety_margin leaves " + wanted + " s for the watchdog;"
                    + " lower watchdog.safety_margin");
        }
        OptionalInt inForce = timeoutSetter.set(settings.device(), wanted);
        if (inForce.isEmpty()) return fail("the timeout of " + settings.device() + " could not be set or read");
        if (inForce.getAsInt() > wanted) {
            return fail(settings.device() + " keeps a timeout of " + inForce.getAsInt() + " s, longer than the "
                    + wanted + " s (leader lease - safety_margin) needed to reset the host before the leader key expires");
        }
        if (inForce.getAsInt() <= renewalGap.toSeconds()) {
            return fail(settings.device() + " keeps a timeout of " + inForce.getAsInt() + " s, not longer than the "
                    + renewalGap.toSeconds() + " s between renewals: it would reset a healthy host");
        }
        try {
            device = new FileOutputStream(settings.device().toFile());
        } catch (IOException e) {
            return fail("could not open " + settings.device() + " (" + e.getMessage() + ")");
        }
        armedTimeout = wanted;
        failure = null;
        log.info("watchdog {} armed with a timeout of {} s", settings.device(), inForce.getAsInt());
        return true;
    }

    private String deviceProblem() {
        Path d = settings.device();
        if (!Files.exists(d)) return d + " does not exist (load a watchdog driver, e.g. modprobe softdog)";
        if (!Files.isWritable(d)) return d + " is not writable by this user (give it access, e.g. with a udev rule)";
        return null;
    }

    private boolean fail(String why) {
        if (!why.equals(failure)) {
            if (settings.mode() == Mode.REQUIRED) {
                log.error("watchdog required but not usable: {}; this node will not lead", why);
            } else {
                log.warn("watchdog not usable: {}; leading without it (watchdog.mode automatic)", why);
            }
        }
        failure = why;
        failedAtNanos = clock.getAsLong();
        return false;
    }

    private void closeQuietly() {
        try {
            if (device != null) device.close();
        } catch (IOException ignored) {
            // closing anyway
        } finally {
            device = null;
        }
    }

    /** Sets the timeout with WDIOC_SETTIMEOUT and reads it back with WDIOC_GETTIMEOUT, through perl. */
    public static OptionalInt setTimeoutWithPerl(Path device, int seconds) {
        String script = String.join("\n",
                "open(my $w, '>', $ARGV[0]) or die \"open: $!\\n\";",
                "my $t = pack('i', $ARGV[1]); ioctl($w, 0xC0045706, $t);",
                "my $g = pack('i', 0); my $ok = ioctl($w, 0x80045707, $g);",
                "print $w 'V'; close $w;",
                "$ok or die \"WDIOC_GETTIMEOUT: $!\\n\"; print unpack('i', $g), \"\\n\";");
        try {
            Process p = new ProcessBuilder(List.of("perl", "-e", script, device.toString(), Integer.toString(seconds)))
                    .redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return OptionalInt.empty();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0 || !out.matches("\\d+")) {
                log.warn("setting the timeout of {} failed: {}", device, out);
                return OptionalInt.empty();
            }
            return OptionalInt.of(Integer.parseInt(out));
        } catch (IOException e) {
            log.warn("could not run perl to set the watchdog timeout: {}", e.getMessage());
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }
}
