package io.vigil.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;
import io.vigil.cluster.SyncState;
import io.vigil.cluster.TimelineSwitch;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ClusterStore} on etcd v3 through jetcd. The only class that imports jetcd. */
public final class EtcdStore implements ClusterStore {
    private static final Logger log = LoggerFactory.getLogger(EtcdStore.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Client client;
    private final KV kv;
    private final String prefix;
    private final Duration timeout;

    private final boolean ownsClient;

    public EtcdStore(Client client, String clusterPrefix, Duration callTimeout) {
        this(client, clusterPrefix, callTimeout, true);
    }

    private EtcdStore(Client client, String clusterPrefix, Duration callTimeout, boolean ownsClient) {
        this.client = client;
        this.kv = client.getKVClient();
        this.prefix = clusterPrefix;
        this.timeout = callTimeout;
        this.ownsClient = ownsClient;
    }

    @Override
    public ClusterStore withCallTimeout(Duration callTimeout) {
        return new EtcdStore(client, prefix, callTimeout, false);
    }

    /** Builds a client from the node config (endpoints, optional user/password and TLS). */
    public static EtcdStore connect(AgentConfig cfg, Duration callTimeout) {
        ClientBuilder b = builder(cfg.etcdEndpoints());
        if (cfg.etcdUser() != null) {
            b.user(bytes(cfg.etcdUser())).password(bytes(cfg.etcdPassword().reveal()));
        }
        if (cfg.etcdCaCert() != null) {
            try {
                b.sslContext(ssl -> {
                    ssl.trustManager(new File(cfg.etcdCaCert()));
                    if (cfg.etcdCert() != null && cfg.etcdKey() != null) {
                        ssl.keyManager(new File(cfg.etcdCert()), new File(cfg.etcdKey()));
                    }
                });
            } catch (Exception e) {
                throw new IllegalArgumentException("etcd TLS files could not be loaded: " + e.getMessage(), e);
            }
        }
        return new EtcdStore(b.build(), cfg.clusterPrefix(), callTimeout);
    }

    /** A client for plain endpoints (no auth, no TLS), e.g. {@code vigil list --etcd ... --scope ...}. */
    public static EtcdStore connect(List<String> endpoints, String clusterPrefix, Duration callTimeout) {
        return new EtcdStore(builder(endpoints).build(), clusterPrefix, callTimeout);
    }

    private static ClientBuilder builder(List<String> endpoints) {
        return Client.builder()
                .endpoints(endpoints.stream().map(e -> URI.create(e.contains("://") ? e : "http://" + e)).toList())
                .connectTimeout(Duration.ofSeconds(2))
                .retryMaxAttempts(0)
                .keepaliveTime(Duration.ofSeconds(5))
                .keepaliveTimeout(Duration.ofSeconds(3))
                .vertx(quietVertx());
    }

    /**
     * One event loop, and Vert.x's blocked-thread check every 10 s instead of every second: an idle
     * agent should not wake for it. The client closes it with itself.
     */
    private static io.vertx.core.Vertx quietVertx() {
        return io.vertx.core.Vertx.vertx(new io.vertx.core.VertxOptions()
                .setEventLoopPoolSize(1)
                .setBlockedThreadCheckInterval(10_000));
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private ByteSequence key(String name) {
        return bytes(prefix + name);
    }

    private <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new StoreException("interrupted during etcd " + what, e);
        } catch (ExecutionException e) {
            throw new StoreException("etcd " + what + " failed: " + rootMessage(e), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            throw new StoreException("etcd " + what + " did not answer within " + timeout.toMillis() + " ms", e);
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public ClusterView read() {
        GetResponse r = await(kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()), "read");
        Optional<String> initialize = Optional.empty();
        Optional<LeaderKey> leader = Optional.empty();
        Optional<FailoverRequest> failover = Optional.empty();
        Map<String, Member> members = new TreeMap<>();
        ClusterSettings settings = null;
        long settingsRevision = 0;
        long lastLsn = 0;
        String stoppedLeader = null;
        List<TimelineSwitch> history = List.of();
        long historyRevision = 0;
        SyncState sync = SyncState.NONE;
        String settingsProblem = null;
        Map<String, Long> slotPositions = Map.of();
        for (KeyValue kvp : r.getKvs()) {
            String k = kvp.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            String v = kvp.getValue().toString(StandardCharsets.UTF_8);
            try {
                switch (k) {
                    case "initialize" -> initialize = Optional.of(v);
                    case "leader" -> leader = Optional.of(new LeaderKey(v, kvp.getLease(), kvp.getModRevision()));
                    case "config" -> {
                        settingsRevision = kvp.getModRevision();
                        ConfigKey read = ConfigKey.of(v);
                        settings = read.settings();
                        settingsProblem = read.problem();
                    }
                    case "failover" -> failover = v.isBlank() || v.equals("{}") ? Optional.empty()
                            : Optional.of(JSON.readValue(v, FailoverRequest.class)).filter(f -> f.member() != null);
                    case "sync" -> {
                        com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(v);
                        sync = SyncState.parse(n.path("leader").asText(null), n.path("sync_standby").asText(null),
                                kvp.getModRevision(), n.path("no_sync_standby_since").asText(null));
                    }
                    case "status" -> {
                        com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(v);
                        lastLsn = n.path("optime").asLong(0);
                        stoppedLeader = n.path("stopped_leader").asText(null);
                        Map<String, Long> slots = new TreeMap<>();
                        n.path("slots").fields().forEachRemaining(e -> {
                            if (e.getValue().canConvertToLong()) slots.put(e.getKey(), e.getValue().asLong());
                        });
                        slotPositions = slots;
                    }
                    case "history" -> {
                        history = parseHistory(v);
                        historyRevision = kvp.getModRevision();
                    }
                    default -> {
                        if (k.startsWith("members/")) {
                            Member m = JSON.readValue(v, Member.class);
                            String name = k.substring("members/".length());
                            members.put(name, m.named(name));
                        }
                    }
                }
            } catch (JsonProcessingException e) {
                log.warn("ignoring unreadable etcd key {}: {}", prefix + k, e.getOriginalMessage());
            }
        }
        return new ClusterView(initialize, leader, java.util.Collections.unmodifiableMap(members), settings, settingsRevision, lastLsn, history, historyRevision, failover,
                r.getHeader().getRevision(), sync, stoppedLeader, settingsProblem, slotPositions);
    }

    /** The config key read once: the settings in force, or why they are refused (exactly one is null). */
    record ConfigKey(ClusterSettings settings, String problem) {
        /**
         * {@code json} as settings, or why it cannot be the settings in force: unreadable, an unknown key,
         * or a rule broken, e.g. by a tool that writes etcd directly.
         */
        static ConfigKey of(String json) {
            try {
                ClusterSettings s = ClusterSettings.fromJson(json);
                List<String> problems = s.problems("");
                return problems.isEmpty() ? new ConfigKey(s, null) : new ConfigKey(null, String.join("; ", problems));
            } catch (io.vigil.config.ConfigException e) {
                return new ConfigKey(null, e.getMessage());
            }
        }
    }

    /** Why the config key's value cannot be the settings in force; null when it can. */
    static String settingsProblem(String json) {
        return ConfigKey.of(json).problem();
    }

    private static List<TimelineSwitch> parseHistory(String v) throws JsonProcessingException {
        List<List<Object>> rows = JSON.readValue(v, new TypeReference<>() {});
        List<TimelineSwitch> out = new ArrayList<>();
        for (List<Object> row : rows) {
            if (row.size() < 2) continue;
            out.add(new TimelineSwitch(((Number) row.get(0)).longValue(), ((Number) row.get(1)).longValue(),
                    row.size() > 2 ? String.valueOf(row.get(2)) : "", row.size() > 3 ? String.valueOf(row.get(3)) : "",
                    row.size() > 4 ? String.valueOf(row.get(4)) : ""));
        }
        return List.copyOf(out);
    }

    @Override
    public long grantLease(long ttlSeconds) {
        return await(client.getLeaseClient().grant(ttlSeconds), "lease grant").getID();
    }

    @Override
    public boolean refreshLease(long leaseId) {
        try {
            LeaseKeepAliveResponse r = await(client.getLeaseClient().keepAliveOnce(leaseId), "lease keep-alive");
            return r.getTTL() > 0;
        } catch (StoreException e) {
            if (rootMessage(e).contains("requested lease not found")) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void revokeLease(long leaseId) {
        await(client.getLeaseClient().revoke(leaseId), "lease revoke");
    }

    private PutOption onLease(long leaseId) {
        return PutOption.builder().withLeaseId(leaseId).build();
    }

    private static Cmp absent(ByteSequence key) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }

    private static Cmp valueIs(ByteSequence key, String value) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(value)));
    }

    @Override
    public boolean acquireLeader(String name, long leaseId) {
        ByteSequence k = key("leader");
        return await(kv.txn().If(absent(k)).Then(Op.put(k, bytes(name), onLease(leaseId))).commit(),
                "leader acquire").isSucceeded();
    }

    @Override
    public boolean renewLeader(String name, long leaseId) {
        ByteSequence k = key("leader");
        TxnResponse r = await(kv.txn().If(valueIs(k, name)).Then(Op.get(k, GetOption.DEFAULT)).commit(), "leader renew");
        if (!r.isSucceeded()) {
            return false;
        }
        KeyValue held = r.getGetResponses().get(0).getKvs().get(0);
        if (held.getLease() == leaseId) {
            return true;
        }
        Cmp unchanged = new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(held.getModRevision()));
        return await(kv.txn().If(valueIs(k, name), unchanged).Then(Op.put(k, bytes(name), onLease(leaseId))).commit(),
                "leader rebind").isSucceeded();
    }

    @Override
    public boolean takeOverLeader(String name, long leaseId, String oldLeader, long leaderModRevision,
                                  long syncModRevision) {
        ByteSequence leader = key("leader");
        ByteSequence sync = key("sync");
        return await(kv.txn().If(valueIs(leader, oldLeader),
                        new Cmp(leader, Cmp.Op.EQUAL, CmpTarget.modRevision(leaderModRevision)),
                        new Cmp(sync, Cmp.Op.EQUAL, CmpTarget.modRevision(syncModRevision)))
                .Then(Op.put(leader, bytes(name), onLease(leaseId)), Op.put(sync, bytes(json(syncBody(name, java.util.Set.of()))),
                        PutOption.DEFAULT))
                .commit(), "leader takeover").isSucceeded();
    }

    @Override
    public boolean releaseLeader(String name) {
        ByteSequence k = key("leader");
        return await(kv.txn().If(valueIs(k, name)).Then(Op.delete(k, DeleteOption.DEFAULT)).commit(),
                "leader release").isSucceeded();
    }

    @Override
    public boolean claimInitialize(String name, long leaseId) {
        ByteSequence init = key("initialize");
        ByteSequence leader = key("leader");
        return await(kv.txn().If(absent(init), absent(leader))
                .Then(Op.put(init, bytes(""), PutOption.DEFAULT), Op.put(leader, bytes(name), onLease(leaseId)))
                .commit(), "initialize claim").isSucceeded();
    }

    @Override
    public boolean completeInitialize(String systemId) {
        ByteSequence init = key("initialize");
        return await(kv.txn().If(valueIs(init, "")).Then(Op.put(init, bytes(systemId), PutOption.DEFAULT)).commit(),
                "initialize complete").isSucceeded();
    }

    @Override
    public boolean abandonInitialize() {
        ByteSequence init = key("initialize");
        return await(kv.txn().If(valueIs(init, "")).Then(Op.delete(init, DeleteOption.DEFAULT)).commit(),
                "initialize abandon").isSucceeded();
    }

    @Override
    public void putMember(Member member, long leaseId) {
        await(kv.put(key("members/" + member.name()), bytes(json(member)), onLease(leaseId)), "member put");
    }

    @Override
    public void putStatus(long lsn, Map<String, Long> slots) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("optime", lsn);
        if (!slots.isEmpty()) body.put("slots", new TreeMap<>(slots));
        await(kv.put(key("status"), bytes(json(body))), "status put");
    }

    @Override
    public void putStoppedLeaderStatus(long lsn, String leader) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("optime", lsn);
        body.put("stopped_leader", leader);
        await(kv.put(key("status"), bytes(json(body))), "status put");
    }

    @Override
    public boolean initializeSettings(ClusterSettings settings) {
        ByteSequence k = key("config");
        return await(kv.txn().If(absent(k)).Then(Op.put(k, bytes(json(settings)), PutOption.DEFAULT)).commit(),
                "config init").isSucceeded();
    }

    @Override
    public boolean writeSync(String leader, java.util.Set<String> members, long expectedModRevision) {
        ByteSequence k = key("sync");
        return await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision)))
                .Then(Op.put(k, bytes(json(syncBody(leader, members))), PutOption.DEFAULT)).commit(), "sync write")
                .isSucceeded();
    }

    /** The sync key's JSON: with no members it also records since when. */
    private static Map<String, Object> syncBody(String leader, java.util.Set<String> members) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("leader", leader);
        body.put("sync_standby", new SyncState(leader, members, 0).syncStandbyText());
        if (members.isEmpty()) {
            body.put("no_sync_standby_since", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC)
                    .truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        }
        return body;
    }

    @Override
    public StoredSettings readSettings() {
        GetResponse r = await(kv.get(key("config")), "config read");
        if (r.getKvs().isEmpty()) return new StoredSettings("{}", 0);
        KeyValue kv0 = r.getKvs().get(0);
        return new StoredSettings(kv0.getValue().toString(StandardCharsets.UTF_8), kv0.getModRevision());
    }

    @Override
    public boolean replaceSettings(String json, long expectedModRevision) {
        ByteSequence k = key("config");
        return await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedModRevision)))
                .Then(Op.put(k, bytes(json), PutOption.DEFAULT)).commit(), "config replace").isSucceeded();
    }

    @Override
    public boolean appendHistory(TimelineSwitch entry, ClusterView seen) {
        List<List<Object>> rows = new ArrayList<>();
        for (TimelineSwitch s : seen.history()) {
            rows.add(List.of(s.timeline(), s.lsn(), s.reason(), s.time(), s.newLeader()));
        }
        rows.add(List.of(entry.timeline(), entry.lsn(), entry.reason(), entry.time(), entry.newLeader()));
        long expected = seen.historyRevision();
        ByteSequence k = key("history");
        return await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expected)))
                .Then(Op.put(k, bytes(json(rows)), PutOption.DEFAULT)).commit(), "history append").isSucceeded();
    }

    @Override
    public boolean requestFailover(FailoverRequest request, long ttlSeconds) {
        PutOption put = ttlSeconds > 0 ? onLease(grantLease(ttlSeconds)) : PutOption.DEFAULT;
        ByteSequence k = key("failover");
        return await(kv.txn().If(absent(k)).Then(Op.put(k, bytes(json(request)), put)).commit(),
                "failover request").isSucceeded();
    }

    @Override
    public void clearFailover() {
        await(kv.delete(key("failover")), "failover clear");
    }

    @Override
    public AutoCloseable watchLeader(Runnable onChange) {
        Watch.Listener listener = Watch.listener(resp -> onChange.run(),
                err -> log.debug("watch interrupted: {}", err.toString()));
        Watch.Watcher leader = client.getWatchClient().watch(key("leader"), listener);
        Watch.Watcher failover = client.getWatchClient().watch(key("failover"), listener);
        return () -> {
            leader.close();
            failover.close();
        };
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o.getClass().getSimpleName(), e);
        }
    }

    @Override
    public void close() {
        if (ownsClient) client.close();
    }
}
