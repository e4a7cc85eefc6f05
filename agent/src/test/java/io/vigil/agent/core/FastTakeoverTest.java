package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.SEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;
import io.vigil.cluster.SyncState;
import io.vigil.config.ClusterSettings;
import io.vigil.config.Tags;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Synchronous mode's fast takeover: when a named standby may take the key before the lease expires. */
class FastTakeoverTest {
    private static final long NOW = 100 * SEC;

    /** One situation: who marks "old" unreachable and since when (seconds before now, on our clock). */
    private record Situation(ClusterSettings settings, SyncState sync, boolean streaming, Map<String, Long> marksAgo,
                             Tags tags, List<String> members) {
        static Situation good() {
            return new Situation(ClusterSettings.fromJson("{\"synchronous_mode\":true}"), new SyncState("old", Set.of("me"), 9),
                    false, Map.of("me", 3L, "n2", 3L), Tags.NONE, List.of("old", "me", "n2"));
        }

        Situation settings(String json) {
            return new Situation(ClusterSettings.fromJson(json), sync, streaming, marksAgo, tags, members);
        }

        Situation sync(SyncState s) {
            return new Situation(settings, s, streaming, marksAgo, tags, members);
        }

        Situation streamUp() {
            return new Situation(settings, sync, true, marksAgo, tags, members);
        }

        Situation marks(Map<String, Long> m) {
            return new Situation(settings, sync, streaming, m, tags, members);
        }

        Situation tags(Tags t) {
            return new Situation(settings, sync, streaming, marksAgo, t, members);
        }

        Situation members(String... names) {
            return new Situation(settings, sync, streaming, marksAgo, tags, List.of(names));
        }

        Observation observation() {
            Map<String, Member> m = new LinkedHashMap<>();
            for (String n : members) {
                Member x = n.equals("old") ? Fixtures.lead("old", 1) : Fixtures.member(n, 1);
                if (marksAgo.containsKey(n)) x = marked(x, marksAgo.get(n));
                m.put(n, x);
            }
            ClusterView v = new ClusterView(Optional.of(Fixtures.SYSID), Optional.of(new LeaderKey("old", 7, 5)), m,
                    settings, 1, 1000, List.of(), 0, Optional.empty(), 1, sync);
            Map<String, Long> seen = new LinkedHashMap<>();
            marksAgo.forEach((n, ago) -> seen.put(n, NOW - ago * SEC));
            Memory memory = new Memory(null, null, null, Map.of(), FailedAttempts.NONE, seen);
            Observation o = new Observation("me", tags, settings, Optional.of(v), Fixtures.replica(1, 1000, "old", streaming),
                    Map.of(), NOW, Fixtures.NOW_MILLIS, 0, memory, null, Map.of(), Set.of(), false, null, null);
            return o.withMemory(Fixtures.settled(memory, o, false));
        }

        /** Marked "old" unreachable since {@code ago} seconds before now by its own clock too. */
        private static Member marked(Member x, long ago) {
            String since = java.time.Instant.ofEpochMilli(Fixtures.NOW_MILLIS - ago * 1000).toString();
            return new Member(x.name(), x.connUrl(), x.apiUrl(), x.state(), x.role(), x.version(), x.xlogLocation(),
                    x.receiveLsn(), x.replayLsn(), x.timeline(), x.tags(), x.upstream(), x.pendingRestart(),
                    x.watchdogFailed(), null, new Member.LeaderUnreachable("old", since));
        }
    }

    private static Plan decide(Situation s) {
        return Decider.decide(s.observation());
    }

    @Test
    void aNamedStandbyWithoutItsStreamTakesOverOnAMajoritysEvidence() {
        Plan p = decide(Situation.good());
        assertThat(p.actions()).hasSize(2);
        assertThat(p.actions().get(0)).isEqualTo(new Action.TakeOver("old", 7, 5, 9));
        Action.Promote promote = (Action.Promote) p.actions().get(1);
        assertThat(promote.fastTakeover()).isEqualTo("me, n2 saw old unreachable for 2 s or more (2 of 2 members besides it)");
        assertThat(p.reason()).startsWith("fast takeover from old: me, n2 saw old unreachable");
    }

    @Test
    void inStrictModeCommitsWaitForAnyStandbyFromTheFirstOne() {
        Plan p = decide(Situation.good().settings("{\"synchronous_mode_strict\":true}"));
        assertThat(p.actions()).contains(new Action.SetSyncStandbys(List.of("*")));
        assertThat(p.actions().get(0)).isInstanceOf(Action.TakeOver.class);
    }

    @Test
    void withTwoMembersTheStandbysOwnEvidenceIsTheMajority() {
        assertThat(decide(Situation.good().members("old", "me").marks(Map.of("me", 2L))).contains(Action.TakeOver.class))
                .isTrue();
    }

    @Test
    void theLeaseStandsOtherwise() {
        Map<String, UnaryOperator<Situation>> cases = new LinkedHashMap<>();
        cases.put("our stream from the leader is up", Situation::streamUp);
        cases.put("another standby is named", s -> s.sync(new SyncState("old", Set.of("n2"), 9)));
        cases.put("the sync key names nobody", s -> s.sync(new SyncState("old", Set.of(), 9)));
        cases.put("the sync key is another leader's", s -> s.sync(new SyncState("older", Set.of("me"), 9)));
        cases.put("only we saw it (1 of 2)", s -> s.marks(Map.of("me", 3L)));
        cases.put("the others saw it, we did not", s -> s.marks(Map.of("n2", 3L)).members("old", "me", "n2", "n3")
                .marks(Map.of("n2", 3L, "n3", 3L)));
        cases.put("not for unreachable_for yet", s -> s.marks(Map.of("me", 3L, "n2", 1L)));
        cases.put("a longer unreachable_for", s -> s.settings("{\"synchronous_mode\":true,\"unreachable_for\":5}"));
        cases.put("fast_takeover off", s -> s.settings("{\"synchronous_mode\":true,\"fast_takeover\":false}"));
        cases.put("paused", s -> s.settings("{\"synchronous_mode\":true,\"pause\":true}"));
        cases.put("asynchronous mode", s -> s.settings("{}"));
        cases.put("tagged nofailover", s -> s.tags(new Tags(true, false, false, false, null, null)));
        cases.put("half of four is no majority", s -> s.members("old", "me", "n2", "n3", "n4")
                .marks(Map.of("me", 3L, "n2", 3L)));
        cases.forEach((name, change) -> {
            Situation s = change.apply(Situation.good());
            assertThat(decide(s).contains(Action.TakeOver.class)).as(name).isFalse();
            assertThat(decide(s).contains(Action.Promote.class)).as(name).isFalse();
        });
        assertThat(decide(Situation.good().members("old", "me", "n2", "n3").marks(Map.of("me", 3L, "n2", 3L, "n3", 3L)))
                .contains(Action.TakeOver.class)).as("three of three").isTrue();
    }

    @Test
    void aMarkCountsWhenItsOwnSinceIsOldEnoughAndWeSawItForHalfOfThat() {
        // marked 1 s ago by our clock and by theirs; our wall clock then moves on
        Observation o = Situation.good().marks(Map.of("me", 1L, "n2", 1L)).observation();
        ClusterView v = o.cluster().orElseThrow();
        long t = Fixtures.NOW_MILLIS;
        assertThat(FastTakeover.nanosUntilSure(o.settings(), v, o.memory(), "n2", NOW, t)).as("1 s by its clock")
                .isEqualTo(SEC);
        assertThat(FastTakeover.nanosUntilSure(o.settings(), v, o.memory(), "n2", NOW, t + 1_500))
                .as("2.5 s by its clock, seen 1 s by ours").isZero();
        Observation fresh = Situation.good().marks(Map.of("me", 0L, "n2", 0L)).observation();
        assertThat(FastTakeover.nanosUntilSure(o.settings(), v, fresh.memory(), "n2", NOW, t + 60_000))
                .as("a clock far behind ours: we still see it for half of unreachable_for ourselves").isEqualTo(SEC);
        assertThat(FastTakeover.nanosUntilNextMark(o.settings(), v, fresh.memory(), NOW, t + 60_000)).isEqualTo(SEC);
    }
}
