package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LeaderLeaseTest {

    private static ClusterSettings timing(int ttl, int loopWait, int retryTimeout) {
        return new ClusterSettings(ttl, loopWait, retryTimeout, null, null, null, null, null, null, null, null, null,
                null, null);
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
        assertThat(timing(ttl, loopWait, retry).leaderLeaseSeconds(watchdogMargin)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "watchdog {0} with safety_margin {1}: margin {2} s at ttl 30")
    @CsvSource({"OFF, 5, 0", "AUTOMATIC, 5, 5", "REQUIRED, 0, 0", "AUTOMATIC, -1, 15"})
    void watchdogMarginCountsOnlyWhenTheWatchdogIsUsed(WatchdogSettings.Mode mode, int margin, int expected) {
        assertThat(new WatchdogSettings(mode, Path.of("/dev/watchdog"), margin).marginSeconds(30)).isEqualTo(expected);
    }
}
