package io.vigil.agent.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy that delivers every chunk {@code delay ± jitter} after it arrived, in order: added
 * latency and jitter on a link. It stands in for {@code tc netem}, which this kernel lacks.
 */
final class DelayProxy implements AutoCloseable {
    private static final byte[] EOF = new byte[0];
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final long delayNanos;
    private final long jitterNanos;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private record Chunk(byte[] bytes, long dueNanos) {
    }

    DelayProxy(String listenHost, InetSocketAddress target, Duration delay, Duration jitter) throws IOException {
        if (jitter.compareTo(delay) > 0) throw new IllegalArgumentException("jitter must not exceed delay");
        this.server = new ServerSocket(0, 50, InetAddress.getByName(listenHost));
        this.target = target;
        this.delayNanos = delay.toNanos();
        this.jitterNanos = jitter.toNanos();
        daemon(this::accept, "delay-proxy-" + server.getLocalPort());
    }

    /** host:port to connect to instead of the target. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                sockets.add(client);
                sockets.add(upstream);
                try {
                    upstream.connect(target, 2000);
                } catch (IOException e) {
                    closeBoth(client, upstream);
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                pipe(client, upstream);
                pipe(upstream, client);
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    /** What {@code from} sends reaches {@code to} delay ± jitter later, never reordered. */
    private void pipe(Socket from, Socket to) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        daemon(() -> {
            long lastDue = 0;
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    long jitter = jitterNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(-jitterNanos, jitterNanos + 1);
                    lastDue = Math.max(lastDue, System.nanoTime() + delayNanos + jitter);
                    queue.add(new Chunk(Arrays.copyOf(buf, n), lastDue));
                }
            } catch (IOException e) {
                // connection gone
            }
            queue.add(new Chunk(EOF, 0));
        }, "delay-proxy-read");
        daemon(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes() == EOF) break;
                    long wait;
                    while ((wait = c.dueNanos() - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
                    out.write(c.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // connection gone
            }
            closeBoth(from, to);
        }, "delay-proxy-write");
    }

    private void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            sockets.remove(s);
        }
    }

    private static void daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
