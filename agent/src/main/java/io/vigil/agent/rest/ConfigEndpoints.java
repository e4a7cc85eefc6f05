package io.vigil.agent.rest;

import io.javalin.http.Context;
import io.vigil.config.ConfigEdit;
import io.vigil.config.ConfigException;
import io.vigil.store.StoreException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * PATCH /config (JSON merge patch) and PUT /config (replace): validated like bootstrap.dcs and
 * written with compare-and-set on the config key's etcd revision. {@code If-Match: "<revision>"}
 * (the ETag of GET /config) makes the edit fail with 409 if anyone changed the config since.
 */
final class ConfigEndpoints {
    private final LoopControl loop;

    ConfigEndpoints(LoopControl loop) {
        this.loop = loop;
    }

    void patch(Context ctx) throws Exception {
        edit(ctx, false);
    }

    void put(Context ctx) throws Exception {
        edit(ctx, true);
    }

    private void edit(Context ctx, boolean replace) throws Exception {
        long ifRevision = ifMatch(ctx.header("If-Match"));
        try {
            ConfigEdit.Applied applied = loop.editConfig(ctx.body(), replace, ifRevision).get(60, TimeUnit.SECONDS);
            // a PUT sends every key it leaves out back to its default: the header names what changed
            ctx.header("X-Vigil-Changed", applied.changes().isEmpty() ? "nothing"
                    : String.join("; ", applied.changes()).replaceAll("[^\\x20-\\x7e]", "?"));
            ctx.status(200).contentType("application/json").result(applied.json());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException) throw new RestApi.BadRequest(cause.getMessage());
            if (cause instanceof ConfigEdit.Conflict) {
                WriteEndpoints.text(ctx, 409, cause.getMessage());
                return;
            }
            if (cause instanceof StoreException) throw new RestApi.NotReady("etcd: " + cause.getMessage());
            if (cause instanceof io.vigil.agent.pg.PostgresException) {
                throw new RestApi.NotReady(cause.getMessage() + "; nothing was changed: send the edit to another member");
            }
            throw e;
        }
    }

    static long ifMatch(String header) {
        if (header == null || header.isBlank() || header.strip().equals("*")) return 0;
        String v = header.strip().replace("\"", "");
        try {
            long r = Long.parseLong(v);
            if (r > 0) return r;
        } catch (NumberFormatException e) {
            // falls through
        }
        throw new RestApi.BadRequest("If-Match must be the ETag of GET /config (a quoted revision number), not " + header);
    }
}
