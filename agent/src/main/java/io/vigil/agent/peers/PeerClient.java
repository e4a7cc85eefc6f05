package io.vigil.agent.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * Asks peers for their own status over their REST API, all at once, each with a short timeout.
 * It uses the JDK's HttpURLConnection, not its HttpClient: the latter brings about 1,300 classes, a
 * TLS context and a selector thread that wakes every 3 s into every agent, for a few calls per failover.
 * Without restapi.cafile, HTTPS peers are checked against the JVM's default trust store; it is loaded
 * at start when this node's own API uses TLS (its peers will too), else at the first HTTPS peer.
 */
public final class PeerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Duration timeout;
    private final SSLSocketFactory tls;   // null: the JVM's default
    private final ExecutorService calls = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "vigil-peers");
                t.setDaemon(true);
                return t;
            });

    /**
     * {@code caFile}: PEM certificates to trust for peers' HTTPS APIs; null: the JVM's default trust.
     * {@code ownApiTls}: this node's API uses TLS, so the peers' do too.
     */
    public PeerClient(Duration timeout, Path caFile, boolean ownApiTls) {
        this.timeout = timeout;
        this.tls = caFile == null ? null : TrustedCa.context(caFile).getSocketFactory();
        if (caFile == null && ownApiTls) HttpsURLConnection.getDefaultSSLSocketFactory();   // loads the trust store now
    }

    public Map<String, PeerStatus> fetch(Collection<Member> peers) {
        return askEach(peers, m -> () -> {
            HttpURLConnection c = open(URI.create(m.apiUrl()));
            try (InputStream in = c.getInputStream()) {
                return parse(m.name(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }, PeerStatus::unreachable);
    }

    /** Whether the agent at {@code apiUrl} answers GET /liveness with 200 within {@code within} (this thread). */
    public boolean alive(String apiUrl, Duration within) {
        try {
            HttpURLConnection c = open(URI.create(apiUrl).resolve("/liveness"));
            c.setConnectTimeout((int) within.toMillis());
            c.setReadTimeout((int) within.toMillis());
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (in != null) in.readAllBytes();   // read to the end: the connection can be reused
            }
            return status == 200;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Failsafe mode: tells every member that {@code leader} is alive while etcd is unreachable
     * (POST /failsafe). True for a member that answered 200: it follows us and will not race for
     * the key for ttl.
     */
    public Map<String, Boolean> postFailsafe(Collection<Member> members, String leader, String user,
                                             io.vigil.config.Secret password) {
        byte[] body = ("{\"name\":" + JSON.valueToTree(leader) + "}").getBytes(StandardCharsets.UTF_8);
        Map<String, Boolean> answers = askEach(members, m -> () -> {
            HttpURLConnection c = open(URI.create(m.apiUrl()).resolve("/failsafe"));
            c.setRequestMethod("POST");
            c.setRequestProperty("Content-Type", "application/json");
            if (user != null && password != null) {
                c.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + password.reveal()).getBytes(StandardCharsets.UTF_8)));
            }
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream o = c.getOutputStream()) {
                o.write(body);
            }
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (in != null) in.readAllBytes();   // read to the end: the connection can be reused
            }
            return status == 200;
        }, name -> false);
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Member m : members) out.put(m.name(), answers.getOrDefault(m.name(), false));
        return out;
    }

    private interface Call<T> {
        T run() throws IOException;
    }

    /**
     * One call per member with an API, all at once; a member whose call fails or is not done within
     * the timeout (plus 200 ms) gets {@code failed}. Members without an API are left out.
     */
    private <T> Map<String, T> askEach(Collection<Member> members, Function<Member, Call<T>> request,
                                       Function<String, T> failed) {
        Map<String, CompletableFuture<T>> pending = new LinkedHashMap<>();
        for (Member m : members) {
            if (m.apiUrl() == null) continue;
            Call<T> call = request.apply(m);
            CompletableFuture<T> f = new CompletableFuture<>();
            calls.execute(() -> {
                try {
                    f.complete(call.run());
                } catch (IOException | RuntimeException e) {
                    f.complete(failed.apply(m.name()));
                }
            });
            pending.put(m.name(), f);
        }
        Map<String, T> out = new LinkedHashMap<>();
        pending.forEach((name, f) -> out.put(name,
                f.completeOnTimeout(failed.apply(name), timeout.toMillis() + 200, TimeUnit.MILLISECONDS).join()));
        return out;
    }

    private HttpURLConnection open(URI uri) throws IOException {
        // no proxy, no redirects: peers are the agents' own APIs
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        if (c instanceof HttpsURLConnection https && tls != null) https.setSSLSocketFactory(tls);
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout((int) timeout.toMillis());
        c.setReadTimeout((int) timeout.toMillis());
        c.setUseCaches(false);
        return c;
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
