package io.vigil.agent.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.core.NodeCommand;
import java.time.OffsetDateTime;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * POST/DELETE /restart, POST /reinitialize, POST /reload: commands for this node's Postgres,
 * carried out by the HA loop. Plain-text answers, as Patroni's.
 */
final class NodeEndpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_SECONDS = 150;

    private final LoopControl loop;

    NodeEndpoints(LoopControl loop) {
        this.loop = loop;
    }

    void restart(Context ctx) throws Exception {
        JsonNode body = optionalObject(ctx.body());
        String role = null;
        boolean onlyIfPending = false;
        OffsetDateTime at = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "schedule" -> at = WriteEndpoints.scheduledAt(v.isTextual() ? v.asText() : null);
                case "restart_pending" -> {
                    if (!v.isBoolean()) throw new RestApi.BadRequest("restart_pending must be true or false");
                    onlyIfPending = v.asBoolean();
                }
                case "role" -> {
                    role = v.isTextual() ? v.asText() : "";
                    if (role.equals("master")) role = "primary";
                    if (!role.equals("primary") && !role.equals("replica")) {
                        throw new RestApi.BadRequest("PostgreSQL role should be either primary or replica");
                    }
                }
                default -> throw new RestApi.BadRequest("Unknown filter for the scheduled restart: " + e.getKey()
                        + " (known: schedule, restart_pending, role)");
            }
        }
        NodeCommand.Restart restart = new NodeCommand.Restart(role, onlyIfPending);
        if (at != null) {
            if (!loop.scheduleRestart(restart, at)) {
                WriteEndpoints.text(ctx, 409, "Another restart is already scheduled; DELETE /restart cancels it");
                return;
            }
            WriteEndpoints.text(ctx, 202, "Scheduled restart");
            return;
        }
        answer(ctx, loop.submit(restart).get(WAIT_SECONDS, TimeUnit.SECONDS), "restarted successfully", "restart");
    }

    void cancelRestart(Context ctx) {
        if (loop.cancelScheduledRestart()) {
            WriteEndpoints.text(ctx, 200, "scheduled restart deleted");
        } else {
            WriteEndpoints.text(ctx, 404, "no restarts are scheduled");
        }
    }

    void reinitialize(Context ctx) throws Exception {
        JsonNode body = optionalObject(ctx.body());
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            // Patroni's flags; the loop runs one action at a time, so there is never a task to force past.
            if (!k.equals("force") && !k.equals("from-leader")) {
                throw new RestApi.BadRequest("unknown field '" + k + "'; known: force, from-leader");
            }
        }
        answer(ctx, loop.submit(new NodeCommand.Reinitialize()).get(WAIT_SECONDS, TimeUnit.SECONDS),
                "reinitialize started", "reinitialize");
    }

    void reload(Context ctx) throws Exception {
        answer(ctx, loop.submit(new NodeCommand.Reload()).get(WAIT_SECONDS, TimeUnit.SECONDS), "reloaded", "reload");
    }

    /** DONE and STARTED: 200; REFUSED: 503 (the node's state does not allow it now); FAILED: 503. */
    private static void answer(Context ctx, CommandOutcome out, String success, String what) {
        switch (out.kind()) {
            case DONE, STARTED -> WriteEndpoints.text(ctx, 200, success + ": " + out.message());
            case REFUSED -> WriteEndpoints.text(ctx, 503, what + " refused: " + out.message());
            case FAILED -> WriteEndpoints.text(ctx, 503, what + " failed: " + out.message());
        }
    }

    /** An empty body is an empty object; anything else must be a JSON object. */
    static JsonNode optionalObject(String body) {
        if (body == null || body.isBlank()) return JSON.createObjectNode();
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) throw new RestApi.BadRequest("body must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new RestApi.BadRequest("invalid JSON: " + e.getOriginalMessage().split("\n")[0]);
        }
    }
}
