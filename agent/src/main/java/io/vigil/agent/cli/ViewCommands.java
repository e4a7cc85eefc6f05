package io.vigil.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.vigil.agent.core.Candidacy;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.cluster.TimelineSwitch;
import io.vigil.config.ClusterSettings;
import io.vigil.store.EtcdStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Read-only commands: they read etcd only, so they work with every node down. */
public final class ViewCommands {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private ViewCommands() {
    }

    static ClusterView read(Target t) {
        try (EtcdStore store = t.store()) {
            return store.read();
        }
    }

    static ClusterSettings settings(ClusterView v) {
        return v.settings() == null ? ClusterSettings.defaults() : v.settings();
    }

    /** One row per member, leader first, with Patroni's column names plus Vigil's. */
    static List<Map<String, Object>> rows(String scope, ClusterView v) {
        String leader = v.leader().map(l -> l.name()).orElse(null);
        ClusterSettings s = settings(v);
        List<Member> ordered = new ArrayList<>();
        v.leaderMember().ifPresent(ordered::add);
        v.members().values().stream().filter(m -> !m.name().equals(leader)).forEach(ordered::add);
        long leaderLsn = v.leaderPosition();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Member m : ordered) {
            boolean isLeader = m.name().equals(leader);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("Cluster", scope);
            r.put("Member", m.name());
            r.put("Host", m.connUrl() == null ? null : m.host() + ":" + m.port());
            r.put("Role", isLeader ? "Leader" : v.sync().namesInSynchronousMode(s, m.name()) ? "Sync Standby" : "Replica");
            r.put("State", m.state());
            r.put("TL", m.timeline());
            if (!isLeader) {
                long lag = Candidacy.lag(v, leader, m);
                r.put("Lag in MB", lag == Long.MAX_VALUE ? null : Math.round(lag / 1048576.0));
                putPosition(r, "Receive", m.receiveLsn(), leaderLsn);
                putPosition(r, "Replay", m.replayLsn(), leaderLsn);
            }
            if (m.tags() != null && !m.tagsOrNone().equals(io.vigil.config.Tags.NONE)) {
                r.put("Tags", JSON.convertValue(m.tags(), Map.class));
            }
            if (Boolean.TRUE.equals(m.pendingRestart())) r.put("Pending restart", "*");
            if (m.refusedParameters() != null && !m.refusedParameters().isEmpty()) {
                r.put("Refused parameters", m.refusedParameters());
            }
            if (!isLeader) {
                String why = Candidacy.whyNot(s, v, leader, m);
                if (why != null) r.put("Not a candidate", why);
            }
            if (leader != null && m.seesUnreachable(leader)) r.put("Sees leader unreachable since", m.leaderUnreachable().since());
            if (isLeader || m.mayPromote()) putSlots(r, io.vigil.cluster.SlotReadiness.of(v, m));
            rows.add(r);
        }
        return rows;
    }

    /** Permanent slots on a member: "name: ready, lag N MB" or "name: missing", one per slot. */
    private static void putSlots(Map<String, Object> r, List<io.vigil.cluster.SlotReadiness> slots) {
        if (slots.isEmpty()) return;
        r.put("Slots", slots.stream().map(x -> x.slot() + ": " + (!x.ready() ? "missing"
                        : x.lagBytes() == null ? "ready" : "ready, lag " + Math.round(x.lagBytes() / 1048576.0) + " MB"))
                .collect(java.util.stream.Collectors.joining("; ")));
    }

    /** A replica's received or replayed WAL position and how far (MB) it is behind the leader's, as Patroni 4.1 lists them. */
    private static void putPosition(Map<String, Object> r, String kind, Long lsn, long leaderLsn) {
        if (lsn == null) return;
        r.put(kind + " LSN", new io.vigil.cluster.Lsn(lsn).toString());
        if (leaderLsn > 0) r.put(kind + " Lag", Math.round(Math.max(0, leaderLsn - lsn) / 1048576.0));
    }

    @Command(name = "list", description = "The cluster's members, roles, lag, and why a member cannot take over.")
    public static final class ListCommand extends CliCommand {
        @Option(names = {"-f", "--format"}, defaultValue = "pretty", description = "pretty, json or yaml")
        String format;

        @Override
        int run() throws Exception {
            ClusterView v = read(target);
            String scope = target.scopeName();
            List<Map<String, Object>> rows = rows(scope, v);
            switch (format) {
                case "json" -> out.println(JSON.writeValueAsString(rows));
                case "yaml" -> out.print(YAML.writeValueAsString(rows));
                case "pretty" -> out.print(pretty(scope, v, rows, false));
                default -> throw new Target.Problem("unknown --format " + format + ": use pretty, json or yaml");
            }
            return 0;
        }
    }

    @Command(name = "topology", description = "Like list, with each replica under the member it streams from.")
    public static final class TopologyCommand extends CliCommand {
        @Override
        int run() {
            ClusterView v = read(target);
            out.print(pretty(target.scopeName(), v, rows(target.scopeName(), v), true));
            return 0;
        }
    }

    static String pretty(String scope, ClusterView v, List<Map<String, Object>> rows, boolean tree) {
        List<String> cols = new ArrayList<>(List.of("Member", "Host", "Role", "State", "TL", "Lag in MB"));
        if (rows.stream().anyMatch(r -> r.containsKey("Receive LSN"))) cols.addAll(List.of("Receive LSN", "Replay LSN"));
        boolean tags = rows.stream().anyMatch(r -> r.containsKey("Tags"));
        boolean pending = rows.stream().anyMatch(r -> r.containsKey("Pending restart"));
        boolean reasons = rows.stream().anyMatch(r -> r.containsKey("Not a candidate"));
        if (rows.stream().anyMatch(r -> r.containsKey("Slots"))) cols.add("Slots");
        if (pending) cols.add("Pending restart");
        if (tags) cols.add("Tags");
        if (reasons) cols.add("Not a candidate");
        Table t = new Table(cols);
        String leader = v.leader().map(l -> l.name()).orElse(null);
        for (Map<String, Object> r : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : cols) {
                Object val = r.get(c);
                String text = val == null ? "" : val instanceof Map<?, ?> m ? compact(m) : String.valueOf(val);
                if (tree && c.equals("Member") && !r.get("Member").equals(leader)) {
                    Member m = v.members().get(String.valueOf(r.get("Member")));
                    text = (m != null && m.upstream() != null ? "+ " : "? ") + text;
                }
                cells.add(text);
            }
            t.row(cells);
        }
        StringBuilder sb = new StringBuilder(t.render("Cluster: " + scope + v.initialize().filter(s -> !s.isEmpty())
                .map(s -> " (" + s + ")").orElse("")));
        if (leader == null) sb.append(" No leader: the cluster is electing one, or no member may take over\n");
        if (settings(v).paused()) sb.append(" Maintenance mode: on\n");
        for (Map<String, Object> r : rows) {
            if (r.get("Sees leader unreachable since") != null) {
                sb.append(' ').append(r.get("Member")).append(" sees leader ").append(leader).append(" unreachable since ")
                        .append(r.get("Sees leader unreachable since")).append('\n');
            }
        }
        for (Map<String, Object> r : rows) {
            if (r.get("Refused parameters") instanceof Map<?, ?> refused) {
                refused.forEach((name, why) -> sb.append(' ').append(r.get("Member")).append(" keeps its own value of ")
                        .append(name).append(": ").append(why).append('\n'));
            }
        }
        if (settings(v).synchronous() && v.sync().leaderRunsAlone()) {
            sb.append(" Synchronous mode: ").append(v.sync().leader()).append(" runs without a synchronous standby")
                    .append(v.sync().noStandbySince() == null ? "" : " since " + v.sync().noStandbySince())
                    .append("; only it may be promoted\n");
        }
        v.failover().filter(f -> f.scheduledAt() != null).ifPresent(f -> sb.append(" Switchover scheduled at: ")
                .append(f.scheduledAt()).append("\n                    from: ").append(f.leader())
                .append("\n                      to: ").append(f.member()).append('\n'));
        return sb.toString();
    }

    private static String compact(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, val) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(": ").append(val));
        return sb.toString();
    }

    @Command(name = "history", description = "Timeline switches: when, where and to whom leadership moved.")
    public static final class HistoryCommand extends CliCommand {
        @Option(names = {"-f", "--format"}, defaultValue = "pretty", description = "pretty or json")
        String format;

        @Override
        int run() throws Exception {
            ClusterView v = read(target);
            if (format.equals("json")) {
                List<List<Object>> rows = new ArrayList<>();
                for (TimelineSwitch s : v.history()) rows.add(List.of(s.timeline(), s.lsn(), s.reason(), s.time(), s.newLeader()));
                out.println(JSON.writeValueAsString(rows));
                return 0;
            }
            Table t = new Table(List.of("TL", "LSN", "Reason", "Timestamp", "New Leader"));
            for (TimelineSwitch s : v.history()) {
                t.row(List.of(String.valueOf(s.timeline()), String.valueOf(s.lsn()), s.reason(), s.time(), s.newLeader()));
            }
            out.print(t.render(null));
            return 0;
        }
    }

    @Command(name = "show-config", description = "The cluster-wide settings stored in etcd (YAML).")
    public static final class ShowConfigCommand extends CliCommand {
        @Override
        int run() throws Exception {
            try (EtcdStore store = target.store()) {
                var stored = store.readSettings();
                if (stored.modRevision() == 0) throw new Target.Problem("the cluster " + target.scopeName() + " has no config in etcd yet");
                out.print(YAML.writeValueAsString(JSON.readTree(stored.json())));
            }
            return 0;
        }
    }
}
