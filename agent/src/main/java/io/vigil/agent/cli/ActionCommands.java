package io.vigil.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.agent.core.Candidacy;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.store.EtcdStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands that change the cluster, each through a member's REST API. */
public final class ActionCommands {
    private static final Duration LONG = Duration.ofSeconds(150);

    private ActionCommands() {
    }

    static Member member(ClusterView v, String name) {
        Member m = v.members().get(name);
        if (m == null) {
            throw new Target.Problem(name + " is not a member; members: " + String.join(", ", v.members().keySet()));
        }
        return m;
    }

    static String json(Map<String, Object> body) {
        try {
            return ViewCommands.JSON.writeValueAsString(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "switchover", description = "Planned, lossless move of the primary to a replica.")
    public static final class Switchover extends CliCommand {
        @Option(names = "--leader", description = "the current leader (default: as etcd says)")
        String leader;
        @Option(names = "--candidate", description = "the new leader (default: the most advanced healthy replica)")
        String candidate;
        @Option(names = "--scheduled", description = "ISO-8601 time with a zone, e.g. 2026-11-27T03:00:00+00:00")
        String scheduled;
        @Option(names = "--force", description = "do not ask for confirmation")
        boolean force;

        @Override
        int run() {
            ClusterView v = ViewCommands.read(target);
            String current = v.leader().map(l -> l.name()).orElseThrow(() ->
                    new Target.Problem("the cluster has no leader; use vigil failover --candidate NAME"));
            String from = leader == null ? current : leader;
            String to = candidate;
            if (to == null && !force) {
                List<String> eligible = v.members().values().stream().filter(m -> !m.name().equals(current)
                        && Candidacy.whyNot(ViewCommands.settings(v), v, current, m) == null).map(Member::name).toList();
                to = ask("Candidate " + eligible + " (empty: the most advanced)");
            }
            if (!confirm("Are you sure you want to switchover cluster " + target.scopeName() + ", demoting current leader "
                    + from + (scheduled != null ? " at " + scheduled : "") + "?", force)) {
                err.println("Aborted");
                return 1;
            }
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("leader", from);
            if (to != null) body.put("candidate", to);
            if (scheduled != null) body.put("scheduled_at", scheduled);
            return report(rest().toAny(v, "POST", "/switchover", json(body), LONG));
        }
    }

    @Command(name = "failover", description = "Make a named replica the leader, also when the leader is unhealthy.")
    public static final class Failover extends CliCommand {
        @Option(names = "--candidate", description = "the new leader")
        String candidate;
        @Option(names = "--force", description = "do not ask for confirmation")
        boolean force;

        @Override
        int run() {
            ClusterView v = ViewCommands.read(target);
            String to = candidate != null ? candidate : ask("Candidate " + v.members().keySet());
            if (to == null) throw new Target.Problem("failover needs --candidate NAME");
            member(v, to);
            if (!confirm("Are you sure you want to failover cluster " + target.scopeName() + " to " + to + "?", force)) {
                err.println("Aborted");
                return 1;
            }
            return report(rest().toAny(v, "POST", "/failover", json(Map.of("candidate", to)), LONG));
        }
    }

    @Command(name = "restart", description = "Restart Postgres on members (all when none is named).")
    public static final class Restart extends CliCommand {
        @Parameters(arity = "0..*", paramLabel = "MEMBER")
        List<String> members = new ArrayList<>();
        @Option(names = "--role", description = "only members with this role: primary or replica")
        String role;
        @Option(names = "--pending", description = "only members with a pending restart")
        boolean pending;
        @Option(names = "--scheduled", description = "ISO-8601 time with a zone")
        String scheduled;
        @Option(names = "--force", description = "do not ask for confirmation")
        boolean force;

        @Override
        int run() {
            ClusterView v = ViewCommands.read(target);
            List<String> names = members.isEmpty() ? List.copyOf(v.members().keySet()) : members;
            names.forEach(n -> member(v, n));
            if (!confirm("Restart Postgres on " + names + "?", force)) {
                err.println("Aborted");
                return 1;
            }
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            if (role != null) body.put("role", role);
            if (pending) body.put("restart_pending", true);
            if (scheduled != null) body.put("schedule", scheduled);
            int worst = 0;
            RestCall rest = rest();
            for (String n : names) {
                RestCall.Reply r = rest.to(member(v, n), "POST", "/restart", json(body), LONG);
                out.print(n + ": ");
                worst = Math.max(worst, report(r));
            }
            return worst;
        }
    }

    @Command(name = "reinit", description = "Re-clone a replica from the leader (its old data is kept beside it).")
    public static final class Reinit extends CliCommand {
        @Parameters(paramLabel = "MEMBER")
        String member;
        @Option(names = "--force", description = "do not ask for confirmation")
        boolean force;

        @Override
        int run() {
            ClusterView v = ViewCommands.read(target);
            Member m = member(v, member);
            if (!confirm("Are you sure you want to reinitialize " + member + "?", force)) {
                err.println("Aborted");
                return 1;
            }
            return report(rest().to(m, "POST", "/reinitialize", "{}", LONG));
        }
    }

    @Command(name = "reload", description = "Re-read node configs and reload Postgres settings (all members when none is named).")
    public static final class Reload extends CliCommand {
        @Parameters(arity = "0..*", paramLabel = "MEMBER")
        List<String> members = new ArrayList<>();
        @Option(names = "--self", description = "only the member the config file describes (for systemctl reload)")
        boolean self;

        @Override
        int run() {
            ClusterView v = ViewCommands.read(target);
            if (self && target.config() == null) throw new Target.Problem("--self needs a node config file (-c)");
            List<String> names = self ? List.of(target.config().name())
                    : members.isEmpty() ? List.copyOf(v.members().keySet()) : members;
            int worst = 0;
            RestCall rest = rest();
            for (String n : names) {
                out.print(n + ": ");
                worst = Math.max(worst, report(rest.to(member(v, n), "POST", "/reload", null, LONG)));
            }
            return worst;
        }
    }

    @Command(name = "pause", description = "Maintenance mode: agents take no automatic action.")
    public static final class Pause extends CliCommand {
        @Override
        int run() {
            return report(rest().toAny(ViewCommands.read(target), "PATCH", "/config", "{\"pause\": true}", LONG));
        }
    }

    @Command(name = "resume", description = "Leave maintenance mode.")
    public static final class Resume extends CliCommand {
        @Override
        int run() {
            return report(rest().toAny(ViewCommands.read(target), "PATCH", "/config", "{\"pause\": null}", LONG));
        }
    }

    @Command(name = "edit-config", description = "Change cluster-wide settings: --set key=value, or in $EDITOR.")
    public static final class EditConfig extends CliCommand {
        @Option(names = {"-s", "--set"}, description = "dotted key = value (JSON value, or text), e.g. postgresql.parameters.work_mem=8MB")
        List<String> sets = new ArrayList<>();
        @Option(names = "--force", description = "apply without showing the diff and asking")
        boolean force;

        @Override
        int run() throws Exception {
            ClusterView v = ViewCommands.read(target);
            String before;
            long revision;
            try (EtcdStore store = target.store()) {
                var stored = store.readSettings();
                before = stored.json();
                revision = stored.modRevision();
            }
            JsonNode current = ViewCommands.JSON.readTree(before);
            JsonNode after;
            if (!sets.isEmpty()) {
                ObjectNode edited = current.deepCopy();
                for (String s : sets) apply(edited, s);
                after = edited;
            } else {
                after = edit(current);
                if (after == null) return 1;
            }
            String diff = diff(ViewCommands.YAML.writeValueAsString(current), ViewCommands.YAML.writeValueAsString(after));
            if (diff.isEmpty()) {
                out.println("no changes");
                return 0;
            }
            out.print(diff);
            if (!confirm("Apply these changes?", force)) {
                err.println("Aborted");
                return 1;
            }
            RestCall rest = rest();
            RestCall.Reply r = null;
            for (Member m : RestCall.leaderFirst(v)) {
                r = putConfig(rest, m, ViewCommands.JSON.writeValueAsString(after), revision);
                if (r.status() != -1) break;
            }
            return r == null ? 1 : report(r);
        }

        private RestCall.Reply putConfig(RestCall rest, Member m, String body, long revision) {
            return rest.withIfMatch(revision).to(m, "PUT", "/config", body, LONG);
        }

        static void apply(ObjectNode root, String assignment) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) throw new Target.Problem("--set needs key=value, got '" + assignment + "'");
            String[] path = assignment.substring(0, eq).strip().split("\\.");
            String raw = assignment.substring(eq + 1).strip();
            JsonNode value;
            try {
                value = ViewCommands.JSON.readTree(raw);
                if (value == null || value.isMissingNode()) value = ViewCommands.JSON.getNodeFactory().textNode(raw);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                value = ViewCommands.JSON.getNodeFactory().textNode(raw);
            }
            ObjectNode node = root;
            for (int i = 0; i < path.length - 1; i++) {
                JsonNode next = node.get(path[i]);
                if (!(next instanceof ObjectNode)) {
                    next = node.putObject(path[i]);
                }
                node = (ObjectNode) next;
            }
            if (value.isNull()) {
                node.remove(path[path.length - 1]);
            } else {
                node.set(path[path.length - 1], value);
            }
        }

        private JsonNode edit(JsonNode current) throws Exception {
            String editor = System.getenv().getOrDefault("EDITOR", "vi");
            if (System.console() == null) throw new Target.Problem("no terminal for $EDITOR; use --set key=value");
            Path tmp = Files.createTempFile("vigil-config-", ".yaml");
            try {
                Files.writeString(tmp, ViewCommands.YAML.writeValueAsString(current));
                Process p = new ProcessBuilder(editor, tmp.toString()).inheritIO().start();
                if (p.waitFor() != 0) throw new Target.Problem(editor + " exited with " + p.exitValue() + "; nothing changed");
                return ViewCommands.YAML.readTree(Files.readString(tmp));
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        /** Lines only in {@code a} with "-", only in {@code b} with "+" (the YAML is small and key-ordered). */
        static String diff(String a, String b) {
            List<String> la = List.of(a.split("\n"));
            List<String> lb = List.of(b.split("\n"));
            StringBuilder sb = new StringBuilder();
            for (String l : la) if (!lb.contains(l)) sb.append("-").append(l).append('\n');
            for (String l : lb) if (!la.contains(l)) sb.append("+").append(l).append('\n');
            return sb.toString();
        }
    }
}
