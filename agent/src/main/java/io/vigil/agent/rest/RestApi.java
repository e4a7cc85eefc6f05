package io.vigil.agent.rest;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.config.AgentConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni-compatible REST API over the loop's last published {@link NodeStatus}. Handlers never
 * touch etcd or Postgres. Errors are mapped to responses in one place, never with a stack trace.
 */
public final class RestApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RestApi.class);
    private final Javalin app;

    public RestApi(AgentConfig cfg, Supplier<NodeStatus> status, LongSupplier clock, LoopControl loop,
                   Supplier<String> metrics) {
        Handlers h = new Handlers(status);
        WriteEndpoints writes = new WriteEndpoints(status, loop);
        NodeEndpoints node = new NodeEndpoints(loop);
        ConfigEndpoints config = new ConfigEndpoints(loop);
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.jetty.host = cfg.restListen().host();
            c.jetty.port = cfg.restListen().port();
            c.jetty.threadPool = threadPool();
            // Javalin's LowResourceMonitor wakes every second; a health-check API has no use for it
            c.jetty.modifyServer(server -> server.getBeans(org.eclipse.jetty.server.LowResourceMonitor.class)
                    .forEach(server::removeBean));
            if (cfg.restCertFile() != null) {
                java.security.KeyStore keys = PemKeyStore.load(java.nio.file.Path.of(cfg.restCertFile()),
                        java.nio.file.Path.of(cfg.restKeyFile()));
                c.jetty.modifyServer(server -> server.setConnectors(new org.eclipse.jetty.server.Connector[] {
                    tlsConnector(server, keys, cfg)}));
            }
            h.check(c.routes, (s, ctx) -> HealthChecks.primary(s, clock.getAsLong()),
                    "/", "/primary", "/leader", "/master", "/read-write");
            h.check(c.routes, (s, ctx) -> HealthChecks.replica(s, clock.getAsLong(), lag(ctx), tagFilters(ctx)), "/replica");
            h.check(c.routes, (s, ctx) -> HealthChecks.primary(s, clock.getAsLong())
                    || HealthChecks.replica(s, clock.getAsLong(), lag(ctx), tagFilters(ctx)), "/read-only");
            h.check(c.routes, (s, ctx) -> HealthChecks.synchronous(s, clock.getAsLong(), lag(ctx), tagFilters(ctx)),
                    "/sync", "/synchronous");
            h.check(c.routes, (s, ctx) -> HealthChecks.asynchronous(s, clock.getAsLong(), lag(ctx), tagFilters(ctx)),
                    "/async", "/asynchronous");
            h.check(c.routes, (s, ctx) -> HealthChecks.primary(s, clock.getAsLong())
                    || HealthChecks.synchronous(s, clock.getAsLong(), lag(ctx), tagFilters(ctx)),
                    "/read-only-sync", "/read-only-synchronous");
            // Vigil runs no standby clusters, so no node is ever a standby leader (Patroni answers 503 there too)
            h.check(c.routes, (s, ctx) -> false, "/standby-leader", "/standby_leader");
            h.check(c.routes, (s, ctx) -> HealthChecks.health(s, clock.getAsLong()), "/health");
            h.check(c.routes, (s, ctx) -> HealthChecks.readiness(s, clock.getAsLong(), lag(ctx), receivedOnly(ctx)),
                    "/readiness");
            h.check(c.routes, (s, ctx) -> HealthChecks.liveness(s, clock.getAsLong()), "/liveness");
            c.routes.get("/patroni", ctx -> h.json(ctx, 200, StatusJson.node(h.current())));
            c.routes.get("/status", ctx -> h.json(ctx, 200, StatusJson.node(h.current())));
            c.routes.get("/cluster", ctx -> h.json(ctx, 200, StatusJson.cluster(h.current())));
            c.routes.get("/history", ctx -> h.json(ctx, 200, StatusJson.history(h.current())));
            c.routes.get("/config", ctx -> {
                NodeStatus s = h.current();
                s.cluster().ifPresent(v -> ctx.header("ETag", "\"" + v.settingsRevision() + "\""));
                h.json(ctx, 200, s.settings());
            });
            c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.get()));
            c.routes.before(ctx -> authorize(cfg, ctx));
            c.routes.post("/switchover", writes::switchover);
            c.routes.delete("/switchover", writes::cancel);
            c.routes.post("/failover", writes::failover);
            c.routes.post("/failsafe", ctx -> {
                com.fasterxml.jackson.databind.JsonNode body = NodeEndpoints.optionalObject(ctx.body());
                String leader = body.path("name").asText("");
                if (leader.isEmpty()) throw new BadRequest("body must name the primary: {\"name\": \"node1\"}");
                String refused = loop.acceptFailsafe(leader);
                if (refused == null) {
                    WriteEndpoints.text(ctx, 200, "Accepted");
                } else {
                    WriteEndpoints.text(ctx, 412, refused);
                }
            });
            c.routes.get("/failsafe", ctx -> {
                NodeStatus s = h.current();
                if (!s.settings().failsafeMode() || s.lastKnownCluster().isEmpty()) {
                    h.error(ctx, 502, "failsafe_mode is off, or etcd has been unreachable from this node for ttl");
                    return;
                }
                Map<String, String> members = new java.util.TreeMap<>();
                s.lastKnownCluster().get().members().values().forEach(m -> members.put(m.name(), m.apiUrl()));
                h.json(ctx, 200, members);
            });
            c.routes.post("/restart", node::restart);
            c.routes.delete("/restart", node::cancelRestart);
            c.routes.post("/reinitialize", node::reinitialize);
            c.routes.post("/reload", node::reload);
            c.routes.patch("/config", config::patch);
            c.routes.put("/config", config::put);
            c.routes.exception(BadRequest.class, (e, ctx) -> h.error(ctx, 400, e.getMessage()));
            c.routes.exception(Unprocessable.class, (e, ctx) -> h.error(ctx, 422, e.getMessage()));
            c.routes.exception(Unauthorized.class, (e, ctx) -> {
                ctx.header("WWW-Authenticate", "Basic realm=\"vigil\"");
                h.error(ctx, 401, e.getMessage());
            });
            c.routes.exception(Forbidden.class, (e, ctx) -> h.error(ctx, 403, e.getMessage()));
            c.routes.exception(NotReady.class, (e, ctx) -> h.error(ctx, 503, e.getMessage()));
            c.routes.exception(LoopControl.NotStarted.class, (e, ctx) -> h.error(ctx, 503, e.getMessage()));
            c.routes.exception(java.util.concurrent.TimeoutException.class,
                    (e, ctx) -> h.error(ctx, 503, "the HA loop did not answer in time; GET /patroni shows what it is doing"));
            c.routes.exception(Exception.class, (e, ctx) -> {
                log.error("REST handler failed on {} {}", ctx.method(), ctx.path(), e);
                h.error(ctx, 500, "internal error; see the agent log");
            });
            c.routes.error(404, ctx -> {
                if (ctx.result() == null) h.error(ctx, 404, "no such endpoint: " + ctx.path());
            });
        });
    }

    /** Small: the API serves health checks and a few operator calls (Javalin's default keeps 8 idle threads). */
    private static org.eclipse.jetty.util.thread.QueuedThreadPool threadPool() {
        var pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(32, 3, 60_000);
        pool.setName("vigil-rest");
        return pool;
    }

    /** HTTPS only, on the configured address; no SNI host check (clients dial IP addresses). */
    private static org.eclipse.jetty.server.Connector tlsConnector(org.eclipse.jetty.server.Server server,
                                                                   java.security.KeyStore keys, AgentConfig cfg) {
        var ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        ssl.setKeyStore(keys);
        ssl.setKeyStorePassword("");
        var https = new org.eclipse.jetty.server.HttpConfiguration();
        https.setSendServerVersion(false);
        https.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
        var connector = new org.eclipse.jetty.server.ServerConnector(server,
                new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                new org.eclipse.jetty.server.HttpConnectionFactory(https));
        connector.setHost(cfg.restListen().host());
        connector.setPort(cfg.restListen().port());
        return connector;
    }

    public void start() {
        app.start();
    }

    public int port() {
        return app.port();
    }

    /** GET, HEAD and OPTIONS are open; every other method needs HTTP basic auth with the configured user. */
    static void authorize(AgentConfig cfg, Context ctx) {
        HandlerType m = ctx.method();
        if (m == HandlerType.GET || m == HandlerType.HEAD || m == HandlerType.OPTIONS) return;
        if (cfg.restUser() == null) {
            throw new Forbidden("write endpoints are disabled: set restapi.authentication in the node config");
        }
        io.javalin.security.BasicAuthCredentials given = null;
        try {
            given = ctx.basicAuthCredentials();
        } catch (RuntimeException malformed) {
            // treated as missing
        }
        boolean userOk = given != null && new io.vigil.config.Secret(cfg.restUser()).matches(given.getUsername());
        boolean passwordOk = given != null && cfg.restPassword().matches(given.getPassword());
        if (!(userOk & passwordOk)) {
            throw new Unauthorized("authentication required: HTTP basic with the user in restapi.authentication");
        }
    }

    static LagLimit lag(Context ctx) {
        String v = ctx.queryParam("lag");
        if (v == null) return null;
        try {
            return LagLimit.parse(v);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
    }

    /** /readiness?mode=: apply (the default, replayed WAL) or write (received WAL), as Patroni's. */
    static boolean receivedOnly(Context ctx) {
        String mode = ctx.queryParam("mode");
        if (mode == null || mode.equals("apply")) return false;
        if (mode.equals("write")) return true;
        throw new BadRequest("mode '" + mode + "' is unknown; use apply (replayed WAL) or write (received WAL)");
    }

    static Map<String, String> tagFilters(Context ctx) {
        Map<String, String> out = new LinkedHashMap<>();
        ctx.queryParamMap().forEach((k, v) -> {
            if (k.startsWith("tag_") && !v.isEmpty()) out.put(k.substring(4), v.get(0));
        });
        return out;
    }

    @Override
    public void close() {
        app.stop();
    }

    static final class BadRequest extends RuntimeException {
        BadRequest(String m) {
            super(m);
        }
    }

    static final class Unprocessable extends RuntimeException {
        Unprocessable(String m) {
            super(m);
        }
    }

    static final class Unauthorized extends RuntimeException {
        Unauthorized(String m) {
            super(m);
        }
    }

    static final class Forbidden extends RuntimeException {
        Forbidden(String m) {
            super(m);
        }
    }

    static final class NotReady extends RuntimeException {
        NotReady(String m) {
            super(m);
        }
    }

    /** Route helpers bound to the status supplier. */
    private static final class Handlers {
        private final Supplier<NodeStatus> status;

        Handlers(Supplier<NodeStatus> status) {
            this.status = status;
        }

        NodeStatus current() {
            NodeStatus s = status.get();
            if (s == null) throw new NotReady("the agent has not finished its first cycle yet");
            return s;
        }

        interface Check {
            boolean test(NodeStatus s, Context ctx);
        }

        /** On each path, GET answers status JSON with 200/503; HEAD and OPTIONS the same code with no body. */
        void check(io.javalin.config.RoutesConfig routes, Check check, String... paths) {
            io.javalin.http.Handler handler = ctx -> {
                NodeStatus s = current();
                int code = check.test(s, ctx) ? 200 : 503;
                if (ctx.method() == HandlerType.GET) {
                    json(ctx, code, StatusJson.node(s));
                } else {
                    ctx.status(code);
                }
            };
            for (String path : paths) {
                routes.get(path, handler);
                routes.head(path, handler);
                routes.options(path, handler);
            }
        }

        void json(Context ctx, int code, Object body) {
            ctx.status(code).json(body);
        }

        /** Errors of reads are JSON; errors of writes are plain text, as Patroni's are. */
        void error(Context ctx, int code, String message) {
            HandlerType m = ctx.method();
            if (m != HandlerType.GET && m != HandlerType.HEAD && m != HandlerType.OPTIONS) {
                WriteEndpoints.text(ctx, code, message);
                return;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", message);
            ctx.status(code).json(body);
        }
    }
}
