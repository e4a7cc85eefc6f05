package io.vigil.agent.cli;

import io.vigil.agent.peers.TrustedCa;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.config.Secret;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Calls a member's REST API for the CLI: the named member, or the leader first, then the others. */
final class RestCall {
    record Reply(int status, String body, String member) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient http;
    private final String user;
    private final Secret password;
    private final long ifMatch;

    RestCall(Path caFile, String user, Secret password) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (caFile != null) b.sslContext(TrustedCa.context(caFile));
        this.http = b.build();
        this.user = user;
        this.password = password;
        this.ifMatch = 0;
    }

    private RestCall(RestCall base, long ifMatch) {
        this.http = base.http;
        this.user = base.user;
        this.password = base.password;
        this.ifMatch = ifMatch;
    }

    /** The same calls with If-Match: the request fails with 409 if the config changed since {@code revision}. */
    RestCall withIfMatch(long revision) {
        return new RestCall(this, revision);
    }

    /** The request to {@code member}'s API. */
    Reply to(Member member, String method, String path, String body, Duration timeout) {
        if (member.apiUrl() == null) throw new Target.Problem(member.name() + " has not published its REST address");
        URI uri = URI.create(member.apiUrl()).resolve(path);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) req.header("Content-Type", "application/json");
        if (ifMatch > 0) req.header("If-Match", "\"" + ifMatch + "\"");
        if (password != null) {
            req.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    (user + ":" + password.reveal()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body().strip(), member.name());
        } catch (java.io.IOException e) {
            return new Reply(-1, member.name() + " did not answer at " + uri + ": " + e.getMessage(), member.name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(-1, "interrupted", member.name());
        }
    }

    /** The members, the leader first. */
    static List<Member> leaderFirst(ClusterView v) {
        List<Member> order = new ArrayList<>();
        v.leaderMember().ifPresent(order::add);
        v.members().values().stream().filter(m -> !order.contains(m)).forEach(order::add);
        return order;
    }

    /** The request to the leader's API, or to the next member that answers at all. */
    Reply toAny(ClusterView v, String method, String path, String body, Duration timeout) {
        List<Member> order = leaderFirst(v);
        if (order.isEmpty()) throw new Target.Problem("no member is registered in etcd");
        Reply last = null;
        for (Member m : order) {
            last = to(m, method, path, body, timeout);
            if (last.status() != -1) return last;
        }
        return last;
    }
}
