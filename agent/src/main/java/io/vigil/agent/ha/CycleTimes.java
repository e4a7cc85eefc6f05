package io.vigil.agent.ha;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where one HA cycle's time went, measured on the loop thread: etcd (lease keep-alive and the
 * cluster read), local Postgres, the rest of observe (peers, failsafe, sync), and the actions.
 * Logged when a cycle overruns loop_wait, so a slow cycle names its slow part.
 */
final class CycleTimes {
    private long etcdNanos;
    private long postgresNanos;
    private long observeNanos;
    private long actNanos;
    private final List<String> actions = new ArrayList<>();

    void etcd(long nanos) {
        etcdNanos += nanos;
    }

    void postgres(long nanos) {
        postgresNanos += nanos;
    }

    /** The whole of observe, etcd and Postgres included. */
    void observe(long nanos) {
        observeNanos += nanos;
    }

    void action(String name, long nanos) {
        actions.add(name + " " + seconds(nanos));
        actNanos += nanos;
    }

    /** One line for the log, e.g. "HA cycle took 6.39 s, more than loop_wait 2 s: etcd 0.12 s, ...". */
    String describe(Duration took, Duration loopWait) {
        long rest = Math.max(0, observeNanos - etcdNanos - postgresNanos);
        long other = Math.max(0, took.toNanos() - observeNanos - actNanos);
        return "HA cycle took " + seconds(took.toNanos()) + ", more than loop_wait " + loopWait.toSeconds() + " s:"
                + " etcd " + seconds(etcdNanos) + ", Postgres " + seconds(postgresNanos)
                + ", peers/failsafe/sync " + seconds(rest) + ", actions " + seconds(actNanos)
                + (actions.isEmpty() ? "" : " " + actions) + ", other " + seconds(other);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }
}
