package io.vigil.config;

import java.time.Duration;

/**
 * Every duration Vigil derives from ttl, loop_wait and retry_timeout (and the watchdog's margin),
 * in one place. docs/architecture.md lists them in one table.
 *
 * @param ttl              how long a member key lives without a keep-alive; the longest a stalled
 *                         leader keeps the leader key
 * @param loopWait         between two HA cycles
 * @param retryTimeout     how long etcd and Postgres calls are retried before they count as failed
 * @param safetyMargin     how long before its lease deadline a leader has stopped accepting writes:
 *                         a quarter of ttl, at most 2 s
 * @param leaderLease      the etcd lease of the leader key, renewed every second beside the loop:
 *                         retry_timeout + {@link #RENEWAL_SLACK_SECONDS} s + the larger of the
 *                         safety margin and the watchdog's, never longer than ttl
 * @param loopSilence      how long after the loop's last cycle the renewals beside it go on: ttl
 *                         minus the leader lease
 * @param watchdogGap      the longest the watchdog goes unfed while leading: loop_wait minus the
 *                         loop silence, at least 1 s
 * @param startingPeerWait how long a candidate waits for a member whose Postgres is starting: ttl
 * @param failedPrimaryCooldown how long a node that held the key but could not run as primary lets
 *                         the others race first: 2 × ttl
 */
public record Timing(Duration ttl, Duration loopWait, Duration retryTimeout, Duration safetyMargin,
                     Duration leaderLease, Duration loopSilence, Duration watchdogGap, Duration startingPeerWait,
                     Duration failedPrimaryCooldown) {

    /**
     * After etcd trouble ends, the time a leader has to renew: the attempt under way when it ended
     * (renewals beside the loop give up after 1 s), then one that reaches etcd again.
     */
    public static final int RENEWAL_SLACK_SECONDS = 2;

    /** The timing of {@code s}, with the watchdog's margin before the lease ends (0: none). */
    public static Timing of(ClusterSettings s, int watchdogMarginSeconds) {
        Duration ttl = Duration.ofSeconds(s.ttl());
        Duration margin = Duration.ofMillis(Math.min(2000, s.ttl() * 1000L / 4));
        int marginSeconds = Math.max((int) Math.ceil(margin.toMillis() / 1000.0), watchdogMarginSeconds);
        int lease = (int) Math.min(s.ttl(), (long) s.retryTimeout() + RENEWAL_SLACK_SECONDS + marginSeconds);
        int silence = s.ttl() - lease;
        return new Timing(ttl, Duration.ofSeconds(s.loopWait()), Duration.ofSeconds(s.retryTimeout()), margin,
                Duration.ofSeconds(lease), Duration.ofSeconds(silence),
                Duration.ofSeconds(Math.max(1, s.loopWait() - silence)), ttl, ttl.multipliedBy(2));
    }
}
