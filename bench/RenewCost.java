import io.vigil.store.EtcdStore;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

/**
 * What one leader-lease renewal (EtcdStore.refreshLease, a keep-alive on the lease) costs in CPU,
 * with the agent's JVM flags: a quiet phase with the client connected and watching, as an idle
 * agent is, then the same time renewing at each interval. Run by bench/renew-cost.sh; one line per phase.
 * Args: etcdUrl warmupCalls seconds intervalMillis...
 */
public final class RenewCost {
    public static void main(String[] a) throws Exception {
        io.vigil.agent.Main.libraryDefaults();   // as the agent starts
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int warmup = Integer.parseInt(a[1]);
        int seconds = Integer.parseInt(a[2]);
        try (EtcdStore store = EtcdStore.connect(List.of(a[0]), "/vigil/bench", Duration.ofSeconds(5));
             AutoCloseable watch = store.watchLeader(() -> { })) {   // as the agent: a watch stream stays open
            long lease = store.grantLease(seconds + 60L);
            long t0 = os.getProcessCpuTime();
            for (int i = 0; i < warmup; i++) {
                if (!store.refreshLease(lease)) throw new IllegalStateException("lease lost during warm-up");
            }
            System.out.printf("warm-up: %d renewals back to back, %.0f us CPU each%n", warmup,
                    (os.getProcessCpuTime() - t0) / 1e3 / warmup);
            long quiet = cpuOver(os, seconds, 0, () -> { });
            System.out.printf("no renewals:           %5.3f %% of one core over %d s%n", percent(quiet, seconds), seconds);
            for (int i = 3; i < a.length; i++) {
                long intervalMs = Long.parseLong(a[i]);
                long calls = seconds * 1000L / intervalMs;
                store.revokeLease(lease);
                lease = store.grantLease(seconds + 60L);
                long phaseLease = lease;
                long busy = cpuOver(os, seconds, intervalMs, () -> {
                    if (!store.refreshLease(phaseLease)) throw new IllegalStateException("lease lost");
                });
                System.out.printf("a renewal every %4d ms: %5.3f %% of one core; %.0f us CPU per renewal beyond the quiet phase%n",
                        intervalMs, percent(busy, seconds), Math.max(0, busy - quiet) / 1e3 / calls);
            }
            store.revokeLease(lease);
        }
    }

    /** Process CPU nanoseconds over {@code seconds}, running {@code call} every {@code intervalMs} (0: never). */
    private static long cpuOver(com.sun.management.OperatingSystemMXBean os, int seconds, long intervalMs, Runnable call)
            throws InterruptedException {
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long cpu = os.getProcessCpuTime();
        long next = start;
        while (System.nanoTime() < end) {
            if (intervalMs > 0) {
                call.run();
                next += intervalMs * 1_000_000L;
            } else {
                next = end;
            }
            long wait = Math.min(next, end) - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
        }
        return os.getProcessCpuTime() - cpu;
    }

    private static double percent(long cpuNanos, int seconds) {
        return cpuNanos / 1e7 / seconds;
    }
}
