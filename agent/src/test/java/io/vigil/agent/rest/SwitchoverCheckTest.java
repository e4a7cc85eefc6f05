package io.vigil.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.agent.core.NodeRole;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SwitchoverCheckTest {
    private static final ClusterSettings SETTINGS = new ClusterSettings(30, 10, 10, 1_048_576L, null, null, null, null, null, null, null, null, null, null, null, null);

    private static Member m(String name, String role, String state, long xlog, Tags tags) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni", io.vigil.cluster.MemberState.of(state), io.vigil.cluster.MemberRole.of(role),
                "0.1.0", xlog, null, null, 1L, tags, null, null, null);
    }

    private static NodeStatus status(Optional<FailoverRequest> pending) {
        Map<String, Member> members = new LinkedHashMap<>();
        members.put("n1", m("n1", "primary", "running", 10_000_000, Tags.NONE));
        members.put("n2", m("n2", "replica", "streaming", 10_000_000, Tags.NONE));
        members.put("n3", m("n3", "replica", "streaming", 9_999_000, Tags.NONE));
        members.put("lag", m("lag", "replica", "streaming", 1_000, Tags.NONE));
        members.put("nf", m("nf", "replica", "streaming", 10_000_000, new Tags(true, false, false, false, null, null)));
        members.put("down", m("down", "uninitialized", "stopped", 10_000_000, Tags.NONE));
        ClusterView v = new ClusterView(Optional.of("1"), Optional.of(new LeaderKey("n1", 1, 1)), members, SETTINGS, 1,
                10_000_000, List.of(), 0, pending, 1, io.vigil.cluster.SyncState.NONE);
        return new NodeStatus("s", "n2", NodeRole.REPLICA, false, LocalPostgres.noData(), Optional.of(v), SETTINGS,
                Tags.NONE, "", List.of(), null, 0, 0, 0, null, false);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-|n2|400|only from a specific leader",
            "n2|n3|412|leader name does not match",
            "n1|ghost|412|candidate does not exist",
            "n1|n1|412|already the leader",
            "n1|lag|412|lag 9.5 MB behind the last leader position > maximum_lag_on_failover 1.0 MB",
            "n1|nf|412|tagged nofailover",
            "n1|down|412|not a healthy replica",
    })
    void refusals(String leader, String candidate, int status, String message) {
        SwitchoverCheck.Verdict v = SwitchoverCheck.switchover(status(Optional.empty()), leader, candidate);
        assertThat(v.status()).isEqualTo(status);
        assertThat(v.message()).contains(message);
    }

    @Test
    void withoutCandidateTheMostAdvancedHealthyReplicaIsChosen() {
        SwitchoverCheck.Verdict v = SwitchoverCheck.switchover(status(Optional.empty()), "n1", null);
        assertThat(v.accepted()).isTrue();
        assertThat(v.candidate()).isEqualTo("n2");
    }

    @Test
    void aPendingRequestIsAConflict() {
        SwitchoverCheck.Verdict v = SwitchoverCheck.switchover(
                status(Optional.of(new FailoverRequest("n1", "n3", "2026-12-01T00:00:00Z"))), "n1", "n2");
        assertThat(v.status()).isEqualTo(409);
        assertThat(v.message()).contains("DELETE /switchover");
    }

    @Test
    void failoverNeedsACandidate() {
        assertThat(SwitchoverCheck.failover(status(Optional.empty()), null).status()).isEqualTo(400);
        assertThat(SwitchoverCheck.failover(status(Optional.empty()), "n3").accepted()).isTrue();
    }

    @Test
    void bodiesAreParsedStrictly() {
        assertThatThrownBy(() -> WriteEndpoints.parse("")).hasMessageContaining("empty body");
        assertThatThrownBy(() -> WriteEndpoints.parse("not-json")).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> WriteEndpoints.parse("{\"leader\":\"a\",\"cnadidate\":\"b\"}"))
                .hasMessageContaining("unknown field 'cnadidate'");
        assertThatThrownBy(() -> WriteEndpoints.parse("{\"leader\":[1]}")).hasMessageContaining("wrong type for 'leader'");
        assertThat(WriteEndpoints.parse("{\"leader\":\"a\",\"candidate\":\"b\"}").candidate()).isEqualTo("b");
    }

    @Test
    void scheduledTimesNeedAZoneAndAFuture() {
        assertThatThrownBy(() -> WriteEndpoints.scheduledAt("2030-01-01T00:00:00"))
                .isInstanceOf(RestApi.BadRequest.class).hasMessageContaining("time zone");
        assertThatThrownBy(() -> WriteEndpoints.scheduledAt("2020-01-01T00:00:00Z"))
                .isInstanceOf(RestApi.Unprocessable.class).hasMessageContaining("in the past");
        assertThat(WriteEndpoints.scheduledAt("2099-01-01T00:00:00+01:00").getYear()).isEqualTo(2099);
    }
}
