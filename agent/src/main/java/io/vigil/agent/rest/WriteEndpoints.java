package io.vigil.agent.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.javalin.http.Context;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.Member;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * POST /switchover, POST /failover, DELETE /switchover. Answers are plain text, as Patroni's are.
 * Handlers validate on the published view, hand the request to the loop, and wait (bounded) for
 * the cluster to show the outcome.
 */
final class WriteEndpoints {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Duration WAIT = Duration.ofSeconds(60);

    record Body(@JsonProperty("leader") String leader, @JsonProperty("candidate") String candidate,
                @JsonProperty("scheduled_at") String scheduledAt) {
    }

    private final Supplier<NodeStatus> status;
    private final LoopControl loop;

    WriteEndpoints(Supplier<NodeStatus> status, LoopControl loop) {
        this.status = status;
        this.loop = loop;
    }

    void switchover(Context ctx) throws Exception {
        Body b = parse(ctx.body());
        NodeStatus s = fresh();
        SwitchoverCheck.Verdict v = SwitchoverCheck.switchover(s, b.leader(), b.candidate());
        if (!v.accepted()) {
            text(ctx, v.status(), v.message());
            return;
        }
        if (b.scheduledAt() != null) {
            if (s.settings().paused()) throw new RestApi.BadRequest("Can't schedule switchover in the paused state");
            OffsetDateTime at = scheduledAt(b.scheduledAt());
            if (!submit(new FailoverRequest(b.leader(), v.candidate(), at.toString()))) {
                text(ctx, 409, "another switchover or failover is already pending");
                return;
            }
            text(ctx, 202, "Switchover scheduled");
            return;
        }
        execute(ctx, new FailoverRequest(b.leader(), v.candidate(), null), "switched over");
    }

    void failover(Context ctx) throws Exception {
        Body b = parse(ctx.body());
        if (b.scheduledAt() != null) {
            throw new RestApi.BadRequest("scheduled_at is for POST /switchover; a failover happens at once");
        }
        SwitchoverCheck.Verdict v = SwitchoverCheck.failover(fresh(), b.candidate());
        if (!v.accepted()) {
            text(ctx, v.status(), v.message());
            return;
        }
        execute(ctx, new FailoverRequest(null, v.candidate(), null), "failed over");
    }

    void cancel(Context ctx) throws Exception {
        boolean scheduled = current().cluster().flatMap(ClusterView::failover).map(f -> f.scheduledAt() != null)
                .orElse(false);
        if (!scheduled) {
            text(ctx, 404, "no switchover is scheduled");
            return;
        }
        loop.cancelFailover().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        text(ctx, 200, "scheduled switchover deleted");
    }

    private void execute(Context ctx, FailoverRequest request, String verb) throws Exception {
        if (!submit(request)) {
            text(ctx, 409, "another switchover or failover is already pending");
            return;
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        boolean seen = false;
        while (System.nanoTime() < deadline) {
            ClusterView v = current().cluster().orElse(null);
            seen |= v != null && v.failover().map(f -> f.member().equals(request.member())).orElse(false);
            if (v != null && v.isLeader(request.member())
                    && v.members().getOrDefault(request.member(), EMPTY).role() == io.vigil.cluster.MemberRole.PRIMARY) {
                text(ctx, 200, "Successfully " + verb + " to \"" + request.member() + "\"");
                return;
            }
            if (seen && v.failover().isEmpty() && v.leader().isPresent() && !v.isLeader(request.member())) {
                text(ctx, 503, (request.isSwitchover() ? "Switchover" : "Failover") + " failed: "
                        + v.leader().get().name() + " is still the leader (see its log for why)");
                return;
            }
            Thread.sleep(50);
        }
        text(ctx, 503, (request.isSwitchover() ? "Switchover" : "Failover") + " did not finish within "
                + WAIT.toSeconds() + " s; GET /cluster shows where it stands");
    }

    private static final Member EMPTY = new Member(null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    private boolean submit(FailoverRequest r) throws Exception {
        return loop.requestFailover(r).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The published status with a fresh etcd read: requests are judged on the cluster as it is now. */
    private NodeStatus fresh() throws Exception {
        NodeStatus s = current();
        try {
            return loop.withFreshView(s::withCluster).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof io.vigil.store.StoreException) {
                throw new RestApi.NotReady("etcd is unreachable from this node; try again");
            }
            throw e;
        }
    }

    private NodeStatus current() {
        NodeStatus s = status.get();
        if (s == null) throw new RestApi.NotReady("the agent has not finished its first cycle yet");
        return s;
    }

    static Body parse(String body) {
        if (body == null || body.isBlank()) {
            throw new RestApi.BadRequest("empty body: send JSON such as {\"leader\": \"node1\", \"candidate\": \"node2\"}");
        }
        try {
            Body b = STRICT.readValue(body, Body.class);
            if (b == null) throw new RestApi.BadRequest("body must be a JSON object");
            return b;
        } catch (UnrecognizedPropertyException e) {
            throw new RestApi.BadRequest("unknown field '" + e.getPropertyName() + "'; known: leader, candidate, scheduled_at");
        } catch (MismatchedInputException e) {
            throw new RestApi.BadRequest("wrong type for '" + (e.getPath().isEmpty() ? "body" : e.getPath().get(0).getFieldName())
                    + "': expected a string");
        } catch (JsonProcessingException e) {
            throw new RestApi.BadRequest("invalid JSON: " + e.getOriginalMessage().split("\n")[0]);
        }
    }

    static OffsetDateTime scheduledAt(String text) {
        if (text == null) throw new RestApi.BadRequest("schedule must be an ISO-8601 time with a time zone");
        OffsetDateTime at;
        try {
            at = OffsetDateTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new RestApi.BadRequest("scheduled_at '" + text + "' is not an ISO-8601 time with a time zone,"
                    + " e.g. 2026-11-26T18:00:00+00:00");
        }
        if (at.isBefore(OffsetDateTime.now())) {
            throw new RestApi.Unprocessable("scheduled_at " + text + " is in the past");
        }
        return at;
    }

    static void text(Context ctx, int code, String message) {
        ctx.status(code).contentType("text/plain; charset=utf-8").result(message + "\n");
    }
}
