package io.vigil.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;
import io.vigil.cluster.SyncState;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CliLogicTest {
    static Member member(String name, String role, String state, long lsn) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni", io.vigil.cluster.MemberState.of(state), io.vigil.cluster.MemberRole.of(role),
                "0.1.0", lsn, null, null, 1L, Tags.NONE, null, null, null);
    }

    static ClusterView view(String leader, Member... members) {
        Map<String, Member> m = new LinkedHashMap<>();
        for (Member x : members) m.put(x.name(), x);
        return new ClusterView(Optional.of("1"), Optional.ofNullable(leader).map(l -> new LeaderKey(l, 1, 1)), m,
                ClusterSettings.defaults(), 1, 100, List.of(), 0, Optional.empty(), 1, SyncState.NONE);
    }

    @Test
    void setAssignsNestedKeysParsesJsonValuesAndNullRemoves() throws Exception {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree("{\"ttl\":30,\"postgresql\":{\"parameters\":{\"a\":1}}}");
        ActionCommands.EditConfig.apply(root, "loop_wait=5");
        ActionCommands.EditConfig.apply(root, "postgresql.parameters.work_mem=8MB");
        ActionCommands.EditConfig.apply(root, "postgresql.parameters.a=null");
        ActionCommands.EditConfig.apply(root, "pause=true");
        assertThat(root.get("loop_wait").asInt()).isEqualTo(5);
        assertThat(root.at("/postgresql/parameters/work_mem").asText()).isEqualTo("8MB");
        assertThat(root.at("/postgresql/parameters").has("a")).isFalse();
        assertThat(root.get("pause").isBoolean()).isTrue();
        assertThatThrownBy(() -> ActionCommands.EditConfig.apply(root, "novalue")).hasMessageContaining("key=value");
    }

    @Test
    void diffShowsRemovedAndAddedLines() {
        assertThat(ActionCommands.EditConfig.diff("a: 1\nb: 2\n", "a: 1\nb: 3\n")).isEqualTo("-b: 2\n+b: 3\n");
        assertThat(ActionCommands.EditConfig.diff("a: 1\n", "a: 1\n")).isEmpty();
    }

    @Test
    void drillRefusesAnUnhealthyCluster() {
        Member leader = member("n1", "primary", "running", 100);
        assertThat(Drill.unhealthy(view("n1", leader, member("n2", "replica", "streaming", 100)))).isNull();
        assertThat(Drill.unhealthy(view("n1", leader, member("n2", "uninitialized", "stopped", 90))))
                .contains("n2 is stopped");
        assertThat(Drill.unhealthy(view(null, member("n2", "replica", "streaming", 100)))).contains("no leader");
        assertThat(Drill.unhealthy(view("n1", leader))).contains("no replica");
    }

    @Test
    void listRowsPutTheLeaderFirstWithLagAndReasons() {
        ClusterView v = view("n2", member("n1", "replica", "streaming", 100 - 3 * 1048576L),
                member("n2", "primary", "running", 100));
        List<Map<String, Object>> rows = ViewCommands.rows("demo", v);
        assertThat(rows.get(0)).containsEntry("Member", "n2").containsEntry("Role", "Leader").doesNotContainKey("Lag in MB");
        assertThat(rows.get(1)).containsEntry("Lag in MB", 3L);
        assertThat(String.valueOf(rows.get(1).get("Not a candidate"))).contains("lag 3.0 MB behind the last leader position > maximum_lag_on_failover 1.0 MB");
        String table = ViewCommands.pretty("demo", v, rows, false);
        assertThat(table).startsWith("+ Cluster: demo (1) ").contains("| n2     | 127.0.0.1:5432 | Leader ");
    }

    @Test
    void listShowsEachMembersCopyOfThePermanentSlotsAndHowFarBehindItIs() {
        Member leader = withSlots(member("n1", "primary", "running", 100), Map.of("backup", 0x3000000L));
        Member behind = withSlots(member("n2", "replica", "streaming", 100), Map.of("backup", 0x1000000L));
        Member missing = withSlots(member("n3", "replica", "streaming", 100), Map.of());
        ClusterView base = view("n1", leader, behind, missing);
        ClusterSettings s = io.vigil.config.ConfigEdit.patch("{}", "{\"slots\": {\"backup\": null}}").settings();
        ClusterView v = new ClusterView(base.initialize(), base.leader(), base.members(), s, 1, 100, List.of(), 0,
                Optional.empty(), 1, SyncState.NONE, null, null, Map.of("backup", 0x3000000L));
        List<Map<String, Object>> rows = ViewCommands.rows("demo", v);
        assertThat(rows.get(0)).containsEntry("Slots", "backup: ready, lag 0 MB");
        assertThat(rows.get(1)).containsEntry("Slots", "backup: ready, lag 32 MB");
        assertThat(rows.get(2)).containsEntry("Slots", "backup: missing");
        assertThat(ViewCommands.pretty("demo", v, rows, false)).contains("| Slots ").contains("backup: missing");
        assertThat(ViewCommands.rows("demo", base).get(0)).doesNotContainKey("Slots");
    }

    private static Member withSlots(Member m, Map<String, Long> slots) {
        return new Member(m.name(), m.connUrl(), m.apiUrl(), m.state(), m.role(), m.version(), m.xlogLocation(),
                m.receiveLsn(), m.replayLsn(), m.timeline(), m.tags(), m.upstream(), null, null, null, null, null, null, slots);
    }

    @Test
    void listShowsReceivedAndReplayedPositionsAndTheirLagAsPatroni41Does() {
        long leaderLsn = 0x5000000L;
        Member n1 = new Member("n1", "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni",
                io.vigil.cluster.MemberState.STREAMING, io.vigil.cluster.MemberRole.REPLICA, "0.1.0", leaderLsn - 2 * 1048576L,
                leaderLsn - 1048576L, leaderLsn - 3 * 1048576L, 1L, Tags.NONE, "n2", null, null);
        ClusterView v = view("n2", n1, member("n2", "primary", "running", leaderLsn));
        List<Map<String, Object>> rows = ViewCommands.rows("demo", v);
        assertThat(rows.get(1)).containsEntry("Receive LSN", "0/4F00000").containsEntry("Receive Lag", 1L)
                .containsEntry("Replay LSN", "0/4D00000").containsEntry("Replay Lag", 3L);
        assertThat(rows.get(0)).doesNotContainKey("Receive LSN");
        assertThat(ViewCommands.pretty("demo", v, rows, false)).contains("| Receive LSN | Replay LSN |")
                .contains("| 0/4F00000   | 0/4D00000  |");
    }

    @Test
    void listSaysSinceWhenTheLeaderRunsWithoutASynchronousStandby() {
        ClusterView v = view("n2", member("n1", "replica", "streaming", 100), member("n2", "primary", "running", 100));
        ClusterView alone = new ClusterView(v.initialize(), v.leader(), v.members(),
                ClusterSettings.fromJson("{\"synchronous_mode\": true}"), 1, 100, List.of(), 0, Optional.empty(), 1,
                new SyncState("n2", java.util.Set.of(), 4, "2026-12-03T09:36:09.725Z"));
        List<Map<String, Object>> rows = ViewCommands.rows("demo", alone);
        assertThat(ViewCommands.pretty("demo", alone, rows, false)).contains(
                " Synchronous mode: n2 runs without a synchronous standby since 2026-12-03T09:36:09.725Z;"
                        + " only it may be promoted");
        assertThat(String.valueOf(rows.get(1).get("Not a candidate"))).contains("since 2026-12-03T09:36:09.725Z");
        assertThat(ViewCommands.pretty("demo", v, ViewCommands.rows("demo", v), false)).doesNotContain("Synchronous mode");
    }

    @Test
    void listShowsEachMembersViewOfTheLeader() {
        Member n1 = member("n1", "replica", "running", 100);
        Member sees = new Member(n1.name(), n1.connUrl(), n1.apiUrl(), n1.state(), n1.role(), n1.version(),
                n1.xlogLocation(), n1.receiveLsn(), n1.replayLsn(), n1.timeline(), n1.tags(), n1.upstream(), null, null,
                null, new Member.LeaderUnreachable("n2", "2026-12-03T13:39:05.210Z"));
        ClusterView v = view("n2", sees, member("n2", "primary", "running", 100));
        List<Map<String, Object>> rows = ViewCommands.rows("demo", v);
        assertThat(rows.get(1)).containsEntry("Sees leader unreachable since", "2026-12-03T13:39:05.210Z");
        assertThat(ViewCommands.pretty("demo", v, rows, false))
                .contains(" n1 sees leader n2 unreachable since 2026-12-03T13:39:05.210Z\n");
        assertThat(ViewCommands.rows("demo", view("n2", n1, member("n2", "primary", "running", 100))).get(1))
                .doesNotContainKey("Sees leader unreachable since");
    }
}
