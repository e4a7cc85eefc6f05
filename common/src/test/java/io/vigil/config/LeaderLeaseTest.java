package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaderLeaseTest {

    private static ClusterSettings timing(int ttl, int loopWait, int retryTimeout) {
        return new ClusterSettings(ttl, loopWait, retryTimeout, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    @ParameterizedTest(name = "ttl {0}, loop_wait {1}, retry_timeout {2}, watchdog margin {3}: leader lease {4} s")
    @CsvSource({
            // retry_timeout + 2 s to renew after etcd comes back + the stop margin (2 s at most), capped by ttl
            "30, 10, 10, 0, 14",
            "10,  2,  3, 0,  7",
            " 8,  2,  2, 0,  6",     // margin 2 s (a quarter of ttl)
            " 6,  1,  2, 0,  6",     // margin 1.5 s rounds up to 2
            " 5,  1,  2, 0,  5",     // capped: ttl already leaves no more than that
            "30, 10, 10, 5, 17",     // the watchdog's larger margin lengthens the lease
            "10,  2,  3, 5, 10",
            "20,  2,  9, 5, 16",
            "12,  2,  5, 7, 12"})     // capped by ttl
    void leaderLeaseRidesOutRetryTimeoutAndTheMarginWithinTtl(int ttl, int loopWait, int retry, int watchdogMargin,
                                                             int expected) {
        assertThat(timing(ttl, loopWait, retry).timing(watchdogMargin).leaderLease().toSeconds()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "watchdog {0} with safety_margin {1}: margin {2} s at ttl 30")
    @CsvSource({"OFF, 5, 0", "AUTOMATIC, 5, 5", "REQUIRED, 0, 0", "AUTOMATIC, -1, 15"})
    void watchdogMarginCountsOnlyWhenTheWatchdogIsUsed(WatchdogSettings.Mode mode, int margin, int expected) {
        assertThat(new WatchdogSettings(mode, Path.of("/dev/watchdog"), margin).marginSeconds(30)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "ttl {0}, loop_wait {1}, retry_timeout {2}: margin {3} ms, loop silence {4} s, watchdog gap {5} s")
    @CsvSource({
            "30, 10, 10, 2000, 16, 1",   // renewals beside the loop outlast a whole loop_wait
            "10,  2,  3, 2000,  3, 1",
            " 6,  1,  2, 1500,  0, 1",
            "40, 10, 10, 2000, 26, 1",
            "20, 10,  2, 2000, 14, 1",
            "12,  9,  2, 2000,  6, 3"})  // the watchdog may go unfed loop_wait - silence
    void everyDurationDerivedFromTtlComesFromOneTiming(int ttl, int loopWait, int retry, long marginMs, long silence,
                                                       long gap) {
        Timing t = timing(ttl, loopWait, retry).timing();
        assertThat(t.safetyMargin().toMillis()).isEqualTo(marginMs);
        assertThat(t.loopSilence().toSeconds()).isEqualTo(silence);
        assertThat(t.watchdogGap().toSeconds()).isEqualTo(gap);
        assertThat(t.leaderLease().plus(t.loopSilence())).isEqualTo(t.ttl());
        assertThat(t.failedPrimaryCooldown()).isEqualTo(t.ttl().multipliedBy(2));
    }
}
