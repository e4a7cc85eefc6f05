package io.vigil.agent.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts as network namespaces on one bridge the harness creates (10.231.S.0/24, S random per run),
 * reachable from the test process through the bridge's address. Faults: cut the link between two
 * hosts (blackhole routes both ways), or take a host off the network. Everything is removed on close.
 */
final class Network implements AutoCloseable {
    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final int subnet = ThreadLocalRandom.current().nextInt(10, 250);
    private final String bridge = "vb" + id;
    private final Map<String, Integer> hosts = new LinkedHashMap<>();

    Network() {
        Leftovers.sweep();
        try {
            Leftovers.markNetwork(id);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        sh("ip", "link", "add", bridge, "type", "bridge");
        sh("ip", "addr", "add", "10.231." + subnet + ".1/24", "dev", bridge);
        sh("ip", "link", "set", bridge, "up");
    }

    /** Whether this machine lets us create namespaces (root, iproute2). */
    static boolean available() {
        return Processes.isRoot() && Processes.run(List.of("ip", "netns", "list")) == 0;
    }

    private String ns(String host) {
        return "v" + id + "-" + host;
    }

    /** The bridge's own address: the test process as seen from every host. */
    String gateway() {
        return "10.231." + subnet + ".1";
    }

    String address(String host) {
        return "10.231." + subnet + "." + (10 + hosts.get(host));
    }

    /** Adds a host: its namespace, a veth on the bridge, an address, loopback up. */
    String add(String host) {
        int k = hosts.size() + 1;
        hosts.put(host, k);
        String outside = "v" + id + k + "a";
        String inside = "v" + id + k + "b";
        sh("ip", "netns", "add", ns(host));
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
        sh("ip", "link", "set", outside, "master", bridge, "up");
        sh("ip", "link", "set", inside, "netns", ns(host));
        sh("ip", "-n", ns(host), "addr", "add", address(host) + "/24", "dev", inside);
        sh("ip", "-n", ns(host), "link", "set", inside, "up");
        sh("ip", "-n", ns(host), "link", "set", "lo", "up");
        return address(host);
    }

    /** The command, run inside {@code host}'s namespace. */
    List<String> in(String host, List<String> command) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", ns(host)));
        out.addAll(command);
        return out;
    }

    /** Drops all traffic between two hosts, both ways. */
    void cut(String a, String b) {
        sh("ip", "-n", ns(a), "route", "add", "blackhole", address(b) + "/32");
        sh("ip", "-n", ns(b), "route", "add", "blackhole", address(a) + "/32");
    }

    void heal(String a, String b) {
        Processes.run(List.of("ip", "-n", ns(a), "route", "del", "blackhole", address(b) + "/32"));
        Processes.run(List.of("ip", "-n", ns(b), "route", "del", "blackhole", address(a) + "/32"));
    }

    /** Takes a host off the network (its link goes down), and back. */
    void isolate(String host, boolean off) {
        sh("ip", "link", "set", "v" + id + hosts.get(host) + "a", off ? "down" : "up");
    }

    private static void sh(String... cmd) {
        int rc = Processes.run(List.of(cmd));
        if (rc != 0) throw new IllegalStateException("failed (" + rc + "): " + String.join(" ", cmd));
    }

    @Override
    public void close() {
        for (String h : hosts.keySet()) {
            Processes.run(List.of("ip", "link", "del", "v" + id + hosts.get(h) + "a"));
            Processes.run(List.of("ip", "netns", "del", ns(h)));
        }
        Processes.run(List.of("ip", "link", "del", bridge));
        Leftovers.unmarkNetwork(id);
    }
}
