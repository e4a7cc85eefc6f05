import io.vigil.store.EtcdStore;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * What one leader-lease renewal costs in CPU, with the agent's JVM flags: a quiet phase with the
 * client connected and watching, as an idle agent is, then the same time renewing at each interval,
 * through jetcd (EtcdStore.refreshLease, what the agent does) and, for comparison, as one HTTP/1.1
 * POST to etcd's JSON gateway (/v3/lease/keepalive) on a kept-alive socket: what a renewal would
 * cost without a gRPC client. Run by bench/renew-cost.sh; one line per phase.
 * Args: etcdUrl warmupCalls seconds intervalMillis...
 */
public final class RenewCost {
    public static void main(String[] a) throws Exception {
        io.vigil.agent.Main.libraryDefaults();   // as the agent starts
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int warmup = Integer.parseInt(a[1]);
        int seconds = Integer.parseInt(a[2]);
        try (EtcdStore store = EtcdStore.connect(List.of(a[0]), "/vigil/bench", Duration.ofSeconds(5));
             AutoCloseable watch = store.watchLeader(() -> { });   // as the agent: a watch stream stays open
             GatewayKeepAlive http = new GatewayKeepAlive(URI.create(a[0]))) {
            long lease = store.grantLease(seconds * (2L * a.length) + 60L);
            List<Transport> transports = List.of(new Transport("jetcd", store::refreshLease),
                    new Transport("http", http::refresh));
            for (Transport t : transports) {
                long t0 = os.getProcessCpuTime();
                for (int i = 0; i < warmup; i++) {
                    if (!t.renew().test(lease)) throw new IllegalStateException("lease lost during warm-up");
                }
                System.out.printf("warm-up %-6s %d renewals back to back, %.0f us CPU each%n",
                        t.name() + ":", warmup, (os.getProcessCpuTime() - t0) / 1e3 / warmup);
            }
            long quiet = cpuOver(os, seconds, 0, () -> { });
            System.out.printf("no renewals:                  %5.3f %% of one core over %d s%n", percent(quiet, seconds), seconds);
            for (int i = 3; i < a.length; i++) {
                long intervalMs = Long.parseLong(a[i]);
                long calls = seconds * 1000L / intervalMs;
                for (Transport t : transports) {
                    long phaseLease = lease;
                    long busy = cpuOver(os, seconds, intervalMs, () -> {
                        if (!t.renew().test(phaseLease)) throw new IllegalStateException("lease lost");
                    });
                    System.out.printf("a renewal every %5d ms, %-5s %5.3f %% of one core; %.0f us CPU per renewal beyond the quiet phase%n",
                            intervalMs, t.name(), percent(busy, seconds), Math.max(0, busy - quiet) / 1e3 / calls);
                }
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

    /** One way to renew a lease, by name. */
    private record Transport(String name, LongPredicate renew) { }

    /** A lease keep-alive through etcd's JSON gateway on one kept-alive HTTP/1.1 connection (plain http only). */
    static final class GatewayKeepAlive implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final String host;

        GatewayKeepAlive(URI etcd) throws IOException {
            socket = new Socket(etcd.getHost(), etcd.getPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(1000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
            host = etcd.getHost() + ":" + etcd.getPort();
        }

        /** True when etcd answered with the lease's new TTL; false when the lease is gone. */
        boolean refresh(long leaseId) {
            try {
                String body = "{\"ID\":\"" + leaseId + "\"}";
                out.write(("POST /v3/lease/keepalive HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = response();
                return answer.contains("\"TTL\":\"") && !answer.contains("\"TTL\":\"0\"");
            } catch (IOException e) {
                throw new IllegalStateException("keep-alive through the gateway failed: " + e.getMessage(), e);
            }
        }

        private String response() throws IOException {
            String status = line();
            if (!status.startsWith("HTTP/1.1 200")) throw new IOException("etcd answered " + status);
            boolean chunked = false;
            int length = -1;
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase();
                if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
                if (lower.startsWith("content-length:")) length = Integer.parseInt(lower.substring(15).trim());
            }
            if (!chunked) return new String(in.readNBytes(Math.max(length, 0)), StandardCharsets.UTF_8);
            StringBuilder body = new StringBuilder();
            for (int n = Integer.parseInt(line().trim(), 16); n > 0; n = Integer.parseInt(line().trim(), 16)) {
                body.append(new String(in.readNBytes(n), StandardCharsets.UTF_8));
                line();
            }
            line();
            return body.toString();
        }

        private String line() throws IOException {
            StringBuilder s = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) throw new EOFException("etcd closed the connection");
                if (c != '\r') s.append((char) c);
            }
            return s.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
