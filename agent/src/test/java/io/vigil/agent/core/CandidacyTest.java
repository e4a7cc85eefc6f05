package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.cluster.SyncState;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The election and what an operator is shown never disagree: for each situation, the reason decide
 * gives this node for not racing is the reason {@code /cluster} and {@code vigil list} give for it,
 * read from its member key.
 */
class CandidacyTest {
    private static final ClusterSettings SYNC = ClusterSettings.fromJson("{\"synchronous_mode\": true}");
    private static final ClusterSettings CHECK_TIMELINE = ClusterSettings.fromJson("{\"check_timeline\": true}");

    /** One situation: this node's tags, its WAL position and timeline, the settings, and the view around it. */
    enum Situation {
        ELIGIBLE(null, Tags.NONE, 1000, 1, Fixtures.SETTINGS, v -> v),
        TAGGED_NOFAILOVER("tagged nofailover", new Tags(true, null, null, null, null, null), 1000, 1,
                Fixtures.SETTINGS, v -> v),
        FAILOVER_PRIORITY_0("failover_priority is 0", new Tags(null, null, null, null, 0, null), 1000, 1,
                Fixtures.SETTINGS, v -> v),
        NOT_NAMED_IN_THE_SYNC_KEY("not a synchronous standby (the sync key names n2)", Tags.NONE, 1000, 1, SYNC,
                v -> sync(v, new SyncState("old", Set.of("n2"), 3))),
        A_LEADER_RAN_ALONE("not the leader that wrote the sync key: old ran without a synchronous standby since"
                + " 2026-12-03T09:00:00Z, so only it holds every acknowledged commit (to promote another node anyway,"
                + " switch synchronous_mode off and accept losing them)", Tags.NONE, 1000, 1, SYNC,
                v -> sync(v, new SyncState("old", Set.of(), 3, "2026-12-03T09:00:00Z"))),
        TOO_FAR_BEHIND("lag 9.5 MB behind the last leader position > maximum_lag_on_failover 1.0 MB", Tags.NONE,
                1000, 1, Fixtures.SETTINGS, v -> behind(v)),
        NAMED_SYNC_STANDBY_BEHIND(null, Tags.NONE, 1000, 1, SYNC,
                v -> sync(behind(v), new SyncState("old", Set.of("me"), 3))),
        BEHIND_THE_CLUSTERS_TIMELINE("check_timeline: on timeline 1, the cluster's is 2", Tags.NONE, 10_000_000, 1,
                CHECK_TIMELINE, v -> Fixtures.withSwitch(v, 1, 500)),
        A_MEMBER_ON_A_NEWER_TIMELINE("n2 published a newer timeline (3 > 1); it must lead, or its key must expire",
                Tags.NONE, 10_000_000, 1, Fixtures.SETTINGS, v -> v);

        final String why;
        final Tags tags;
        final long wal;
        final long timeline;
        final ClusterSettings settings;
        final UnaryOperator<ClusterView> around;

        Situation(String why, Tags tags, long wal, long timeline, ClusterSettings settings,
                  UnaryOperator<ClusterView> around) {
            this.why = why;
            this.tags = tags;
            this.wal = wal;
            this.timeline = timeline;
            this.settings = settings;
            this.around = around;
        }
    }

    /** The last leader position 10 MB on: this node's 1000 is 9.5 MB behind. */
    private static ClusterView behind(ClusterView v) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(),
                10_000_000, v.history(), v.historyRevision(), v.failover(), v.revision(), v.sync());
    }

    private static ClusterView sync(ClusterView v, SyncState s) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(),
                v.lastLeaderLsn(), v.history(), v.historyRevision(), v.failover(), v.revision(), s);
    }

    @ParameterizedTest
    @EnumSource(Situation.class)
    void theElectionAndTheOperatorAreGivenTheSameReason(Situation s) {
        long otherTimeline = s == Situation.A_MEMBER_ON_A_NEWER_TIMELINE ? 3 : 1;
        Member me = member("me", s.timeline, s.wal, s.tags);
        ClusterView v = s.around.apply(Fixtures.view(null, s.wal, me, member("n2", otherTimeline, 100,
                Tags.NONE)));
        Observation o = Fixtures.with(obs(v, Fixtures.replica(s.timeline, s.wal, "old", false)), w -> {
            w.tags = s.tags;
            w.settings = s.settings;
        });
        Plan decided = Decider.decide(o);
        String shown = Candidacy.whyNot(s.settings, v, null, me);
        if (s.why == null) {
            assertThat(shown).isNull();
            assertThat(decided.contains(Action.Promote.class)).as(decided.reason()).isTrue();
        } else {
            assertThat(decided.reason()).isEqualTo("no leader; not racing: " + s.why);
            assertThat(shown).isEqualTo("me: " + s.why);
        }
        assertThat(List.of(decided.contains(Action.Promote.class))).containsExactly(shown == null);
    }

    @Test
    void whileALeaderHoldsTheKeyNewerTimelinesInMemberKeysDoNotBlockAHandover() {
        // after failovers in quick succession the replicas' member keys show old timelines for up to loop_wait
        ClusterView v = Fixtures.view("n2", 1000, Fixtures.member("me", 1), Fixtures.lead("n2", 4),
                Fixtures.member("n3", 3));
        assertThat(Candidacy.whyNot(Fixtures.SETTINGS, v, "n2", v.members().get("me"))).isNull();
        ClusterView election = Fixtures.view(null, 1000, Fixtures.member("me", 1), Fixtures.member("n3", 3));
        assertThat(Candidacy.whyNot(Fixtures.SETTINGS, election, null, election.members().get("me")))
                .contains("n3 published a newer timeline (3 > 1)");
    }
}
