package io.vigil.agent.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.config.WatchdogSettings;
import io.vigil.config.WatchdogSettings.Mode;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * This machine's kernel has no watchdog driver, so a FIFO stands in for /dev/watchdog: a reader
 * thread records every byte the agent writes (keepalives, the magic 'V') and each close.
 */
class WatchdogTest {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration LOOP_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Path fifo;
    private final StringBuffer received = new StringBuffer();
    private final AtomicInteger closes = new AtomicInteger();
    private Thread reader;
    private volatile boolean done;

    @BeforeEach
    void fifo() throws Exception {
        fifo = dir.resolve("watchdog");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        reader = new Thread(this::read, "fake-watchdog");
        reader.setDaemon(true);
        reader.start();
    }

    @AfterEach
    void stop() {
        done = true;
        reader.interrupt();
    }

    /** Opens the FIFO again after each writer closes it, as a device stays there. */
    private void read() {
        while (!done) {
            try (InputStream in = new FileInputStream(fifo.toFile())) {
                int b;
                while ((b = in.read()) >= 0) received.append((char) b);
                closes.incrementAndGet();
            } catch (IOException e) {
                return;
            }
        }
    }

    private Watchdog watchdog(Mode mode, Path device, int margin, Watchdog.TimeoutSetter setter) {
        return new Watchdog(new WatchdogSettings(mode, device, margin), setter, System::nanoTime);
    }

    @Test
    void requiredWatchdogIsArmedFedOnEveryRenewalAndDisarmedWithTheMagicCharacter() {
        AtomicInteger asked = new AtomicInteger();
        Watchdog w = watchdog(Mode.REQUIRED, fifo, 5, (d, s) -> {
            asked.set(s);
            return OptionalInt.of(s);
        });
        assertThat(w.problem()).isNull();
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isTrue();
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isTrue();
        assertThat(asked.get()).isEqualTo(25);
        assertThat(w.armed()).isTrue();
        w.disable();
        assertThat(w.armed()).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> closes.get() == 1);
        assertThat(received.toString()).isEqualTo("11V");
    }

    @Test
    void aNewTtlReArmsTheDeviceWithTheNewTimeout() {
        AtomicInteger asked = new AtomicInteger();
        Watchdog w = watchdog(Mode.REQUIRED, fifo, 5, (d, s) -> {
            asked.set(s);
            return OptionalInt.of(s);
        });
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isTrue();
        assertThat(w.keepalive(Duration.ofSeconds(20), 20, Duration.ofSeconds(5))).isTrue();
        assertThat(asked.get()).isEqualTo(15);
        w.disable();
        // the FIFO may see both openings as one session (no moment without a writer): compare the bytes
        await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().equals("1V1V") && closes.get() >= 1);
    }

    @Test
    void safetyMarginMinusOneIsHalfOfTtl() {
        assertThat(new WatchdogSettings(Mode.AUTOMATIC, fifo, -1).timeout(TTL, 30)).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void requiredWatchdogWithoutDeviceKeepsTheNodeFromLeading() {
        Watchdog w = watchdog(Mode.REQUIRED, dir.resolve("missing"), 5, (d, s) -> OptionalInt.of(s));
        assertThat(w.problem()).contains("does not exist").contains("modprobe softdog");
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isFalse();
        assertThat(w.armed()).isFalse();
    }

    @Test
    void automaticWatchdogWithoutDeviceLetsTheNodeLeadWithoutIt() {
        Watchdog w = watchdog(Mode.AUTOMATIC, dir.resolve("missing"), 5, (d, s) -> OptionalInt.of(s));
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isTrue();
        assertThat(w.problem()).isNull();
        assertThat(w.armed()).isFalse();
    }

    @Test
    void requiredWatchdogWhoseTimeoutStaysTooLongIsNotUsed() {
        Watchdog w = watchdog(Mode.REQUIRED, fifo, 5, (d, s) -> OptionalInt.of(60));
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isFalse();
        assertThat(w.problem()).contains("timeout of 60 s").contains("25 s");
        assertThat(w.armed()).isFalse();
        assertThat(received.toString()).isEmpty();
    }

    @Test
    void watchdogTimeoutNotLongerThanLoopWaitIsRefused() {
        Watchdog w = watchdog(Mode.REQUIRED, fifo, 5, (d, s) -> OptionalInt.of(10));
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isFalse();
        assertThat(w.problem()).contains("between renewals");
    }

    @Test
    void marginAsLongAsTtlLeavesNoTimeout() {
        Watchdog w = watchdog(Mode.REQUIRED, fifo, 30, (d, s) -> OptionalInt.of(s));
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isFalse();
        assertThat(w.problem()).contains("lower watchdog.safety_margin");
    }

    @Test
    void offNeverTouchesTheDevice() {
        Watchdog w = watchdog(Mode.OFF, fifo, 5, (d, s) -> {
            throw new AssertionError("must not be asked");
        });
        assertThat(w.keepalive(TTL, 30, LOOP_WAIT)).isTrue();
        assertThat(w.problem()).isNull();
        assertThat(w.armed()).isFalse();
    }

    @Test
    void perlHelperClosesTheDeviceWithTheMagicCharacterAndReportsAnUnknownTimeoutWhereIoctlFails() {
        // A FIFO has no watchdog ioctls: the timeout is unknown, and the device is still closed with 'V'.
        assertThat(Watchdog.setTimeoutWithPerl(fifo, 25)).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> closes.get() == 1);
        assertThat(received.toString()).isEqualTo("V");
    }
}
