package io.vigil.agent.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.agent.ha.PeerStatus;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Asks peers for their own status over their REST API, all at once, each with a short timeout. */
public final class PeerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final Duration timeout;

    /** {@code caFile}: PEM certificates to trust for peers' HTTPS APIs; null: the JVM's default trust. */
    public PeerClient(Duration timeout, java.nio.file.Path caFile) {
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1);
        if (caFile != null) b.sslContext(TrustedCa.context(caFile));
        this.http = b.build();
    }

    public Map<String, PeerStatus> fetch(Collection<Member> peers) {
        Map<String, CompletableFuture<PeerStatus>> pending = new LinkedHashMap<>();
        for (Member m : peers) {
            if (m.apiUrl() == null) continue;
            HttpRequest req = HttpRequest.newBuilder(URI.create(m.apiUrl())).timeout(timeout).GET().build();
            pending.put(m.name(), http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                    .thenApply(r -> parse(m.name(), r.body()))
                    .exceptionally(e -> PeerStatus.unreachable(m.name())));
        }
        Map<String, PeerStatus> out = new LinkedHashMap<>();
        pending.forEach((name, f) -> out.put(name, f.completeOnTimeout(PeerStatus.unreachable(name),
                timeout.toMillis() + 200, java.util.concurrent.TimeUnit.MILLISECONDS).join()));
        return out;
    }

    /**
     * Failsafe mode: tells every member that {@code leader} is alive while etcd is unreachable
     * (POST /failsafe). True for a member that answered 200: it follows us and will not race for
     * the key for ttl.
     */
    public Map<String, Boolean> postFailsafe(Collection<Member> members, String leader, String user,
                                             io.vigil.config.Secret password) {
        Map<String, CompletableFuture<Boolean>> pending = new LinkedHashMap<>();
        String body = "{\"name\":" + JSON.valueToTree(leader) + "}";
        for (Member m : members) {
            if (m.apiUrl() == null) {
                pending.put(m.name(), CompletableFuture.completedFuture(false));
                continue;
            }
            URI uri = URI.create(m.apiUrl()).resolve("/failsafe");
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            if (user != null && password != null) {
                req.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (user + ":" + password.reveal()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            pending.put(m.name(), http.sendAsync(req.build(), HttpResponse.BodyHandlers.discarding())
                    .thenApply(r -> r.statusCode() == 200).exceptionally(e -> false));
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        pending.forEach((name, f) -> out.put(name, f.completeOnTimeout(false, timeout.toMillis() + 200,
                java.util.concurrent.TimeUnit.MILLISECONDS).join()));
        return out;
    }

    static PeerStatus parse(String name, String body) {
        try {
            JsonNode n = JSON.readTree(body);
            boolean running = "running".equals(n.path("state").asText());
            String role = n.path("role").asText();
            boolean replica = role.equals("replica") || role.equals("sync_standby");
            JsonNode x = n.path("xlog");
            Lsn wal;
            if (replica) {
                wal = Lsn.max(toLsn(x.path("received_location")), toLsn(x.path("replayed_location")));
            } else {
                wal = toLsn(x.path("location"));
            }
            // No state: the agent answers but has not finished its first cycle (it is starting too)
            String state = n.path("state").asText("starting");
            boolean starting = state.equals("starting") || state.equals("stopped");
            Lsn checkpoint = starting ? toLsn(n.path("checkpoint_location")) : null;
            return new PeerStatus(name, true, running, replica, n.path("timeline").asLong(0), wal, starting,
                    checkpoint);
        } catch (Exception e) {
            return PeerStatus.unreachable(name);
        }
    }

    private static Lsn toLsn(JsonNode n) {
        return n.isNumber() ? new Lsn(n.asLong()) : null;
    }
}
