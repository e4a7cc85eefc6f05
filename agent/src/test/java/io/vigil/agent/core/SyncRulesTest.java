package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.view;
import static io.vigil.agent.core.Fixtures.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import io.vigil.cluster.SyncState;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SyncRulesTest {
    static final ClusterSettings SYNC = ClusterSettings.fromJson("{\"synchronous_mode\": true}");
    static final ClusterSettings STRICT = ClusterSettings.fromJson("{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}");

    /** A primary at WAL 1000 with these standbys streaming (name:flushLsn), and synchronous_standby_names. */
    static LocalPostgres primary(String syncNames, String... standbys) {
        List<LocalPostgres.ReplicationRow> rows = new ArrayList<>();
        for (String s : standbys) {
            String[] p = s.split(":");
            rows.add(new LocalPostgres.ReplicationRow("replicator", p[0], "127.0.0.1", "streaming", "async", 0,
                    new Lsn(1000), new Lsn(Long.parseLong(p[1])), new Lsn(Long.parseLong(p[1])), 0.0));
        }
        return new LocalPostgres(true, true, true, false, 1, new Lsn(1000), null, null, false, null, Fixtures.SYSID,
                150018, null, null, rows, java.util.Map.of(), false, syncNames);
    }

    static ClusterView cluster(SyncState sync, Member... others) {
        List<Member> all = new ArrayList<>(List.of(lead("me", 1)));
        all.addAll(List.of(others));
        ClusterView v = view("me", 1000, all.toArray(new Member[0]));
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(),
                v.lastLeaderLsn(), v.history(), v.historyRevision(), v.failover(), v.revision(), sync);
    }

    static SyncState key(String... members) {
        return new SyncState("me", Set.of(members), 7);
    }

    static Plan decide(ClusterSettings s, ClusterView v, LocalPostgres pg, String... confirmed) {
        return Decider.decide(with(obs(v, pg), w -> {
            w.settings = s;
            w.syncConfirmed = Set.of(confirmed);
        }));
    }

    static List<Action> syncSteps(Plan p) {
        return p.actions().stream().filter(a -> a instanceof Action.WriteSync || a instanceof Action.SetSyncStandbys).toList();
    }

    @Nested
    class Steps {
        @Test
        void asynchronousClusterIsLeftAlone() {
            Plan p = decide(Fixtures.SETTINGS, cluster(SyncState.NONE, member("n2", 1)), primary("", "n2:1000"));
            assertThat(syncSteps(p)).isEmpty();
        }

        @Test
        void aNewLeaderTakesTheKeyOverFirstNamingNobody() {
            Plan p = decide(SYNC, cluster(new SyncState("old", Set.of("me"), 5), member("n2", 1)), primary("", "n2:1000"));
            assertThat(syncSteps(p)).containsExactly(new Action.WriteSync(Set.of(), 5));
        }

        @Test
        void aStandbyIsWaitedForFirstAndNamedOnlyOnceConfirmed() {
            ClusterView v = cluster(key(), member("n2", 1));
            assertThat(syncSteps(decide(SYNC, v, primary("", "n2:1000"))))
                    .containsExactly(new Action.SetSyncStandbys(List.of("n2")));
            Plan unconfirmed = decide(SYNC, v, primary("FIRST 1 (\"n2\")", "n2:1000"));
            assertThat(syncSteps(unconfirmed)).isEmpty();
            assertThat(unconfirmed.reason()).contains("waiting for [n2] to confirm before naming them");
            assertThat(syncSteps(decide(SYNC, v, primary("FIRST 1 (\"n2\")", "n2:1000"), "n2")))
                    .containsExactly(new Action.WriteSync(Set.of("n2"), 7));
            assertThat(syncSteps(decide(SYNC, cluster(key("n2"), member("n2", 1)), primary("FIRST 1 (\"n2\")", "n2:1000"))))
                    .isEmpty();
        }

        @Test
        void aReplacementDropsTheOldOneFromTheKeyThenIsWaitedForThenNamedOnceConfirmed() {
            Member n2 = member("n2", 1);
            Member n3 = member("n3", 1);
            LocalPostgres n2Gone = primary("FIRST 1 (\"n2\")", "n3:1000");
            Plan drop = decide(SYNC, cluster(key("n2"), n2, n3), n2Gone);
            assertThat(syncSteps(drop)).containsExactly(new Action.WriteSync(Set.of(), 7));
            assertThat(drop.reason()).contains("dropping [n2] from the sync key before Postgres stops waiting");
            assertThat(syncSteps(decide(SYNC, cluster(key(), n2, n3), n2Gone)))
                    .containsExactly(new Action.SetSyncStandbys(List.of("n3")));
            LocalPostgres waitsForN3 = primary("FIRST 1 (\"n3\")", "n3:1000");
            assertThat(syncSteps(decide(SYNC, cluster(key(), n2, n3), waitsForN3))).isEmpty();
            assertThat(syncSteps(decide(SYNC, cluster(key(), n2, n3), waitsForN3, "n3")))
                    .containsExactly(new Action.WriteSync(Set.of("n3"), 7));
        }

        @Test
        void aMemberIsNeverNamedWhilePostgresDoesNotWaitForIt() {
            // The bug REBOOT_ALL found: naming first let a member lacking commits acknowledged alone promote
            for (String waiting : List.of("", "FIRST 1 (\"n3\")")) {
                Plan p = decide(SYNC, cluster(key(), member("n2", 1), member("n3", 1)), primary(waiting, "n2:1000"), "n2");
                assertThat(p.actions()).noneMatch(a -> a instanceof Action.WriteSync w && w.members().contains("n2"));
            }
        }

        @Test
        void withoutStrictModeAsynchronousOperationIsPublishedBeforePostgresStopsWaiting() {
            Member n2 = member("n2", 1);
            assertThat(syncSteps(decide(SYNC, cluster(key("n2"), n2), primary("FIRST 1 (\"n2\")"))))
                    .containsExactly(new Action.WriteSync(Set.of(), 7));
            assertThat(syncSteps(decide(SYNC, cluster(key(), n2), primary("FIRST 1 (\"n2\")"))))
                    .containsExactly(new Action.SetSyncStandbys(List.of()));
        }

        @Test
        void strictModeKeepsWaitingWhenNoStandbyIsHealthy() {
            Member n2 = member("n2", 1);
            Plan p = decide(STRICT, cluster(key("n2"), n2), primary("FIRST 1 (\"n2\")"));
            assertThat(syncSteps(p)).isEmpty();
            assertThat(p.reason()).contains("commits wait");
            assertThat(syncSteps(decide(STRICT, cluster(key(), n2), primary(""))))
                    .containsExactly(new Action.SetSyncStandbys(List.of("*")));
        }

        @Test
        void strictModeWithAnEmptyKeyNamesAStandbyOnlyOnceItIsConfirmed() {
            Member n2 = member("n2", 1);
            assertThat(syncSteps(decide(STRICT, cluster(key(), n2), primary("*", "n2:1000"))))
                    .containsExactly(new Action.SetSyncStandbys(List.of("n2")));
            assertThat(syncSteps(decide(STRICT, cluster(key(), n2), primary("FIRST 1 (\"n2\")", "n2:1000")))).isEmpty();
            assertThat(syncSteps(decide(STRICT, cluster(key(), n2), primary("FIRST 1 (\"n2\")", "n2:1000"), "n2")))
                    .containsExactly(new Action.WriteSync(Set.of("n2"), 7));
        }
    }

    @Nested
    class Choice {
        @Test
        void nosyncAndNofailoverMembersAreNeverChosen() {
            Member nosync = member("n2", 1, 100, new Tags(false, false, true, false, null, null));
            Member nofailover = member("n3", 1, 100, new Tags(true, false, false, false, null, null));
            Plan p = decide(SYNC, cluster(key(), nosync, nofailover), primary("", "n2:1000", "n3:1000"));
            assertThat(syncSteps(p)).isEmpty();
        }

        @Test
        void anotherZoneIsPreferredOverLessLag() {
            Member sameZone = member("n2", 1, 100, new Tags(false, false, false, false, null, "a"));
            Member otherZone = member("n3", 1, 100, new Tags(false, false, false, false, null, "b"));
            Observation o = with(obs(cluster(key(), sameZone, otherZone), primary("", "n2:1000", "n3:900")), w -> {
                w.settings = SYNC;
                w.tags = new Tags(false, false, false, false, null, "a");
            });
            assertThat(syncSteps(Decider.decide(o))).containsExactly(new Action.SetSyncStandbys(List.of("n3")));
        }

        @Test
        void leastLagWinsAndSynchronousNodeCountIsHonoured() {
            ClusterSettings two = ClusterSettings.fromJson("{\"synchronous_mode\": true, \"synchronous_node_count\": 2}");
            ClusterView v = cluster(key(), member("n2", 1), member("n3", 1), member("n4", 1));
            assertThat(syncSteps(decide(SYNC, v, primary("", "n2:900", "n3:1000", "n4:950"))))
                    .containsExactly(new Action.SetSyncStandbys(List.of("n3")));
            assertThat(syncSteps(decide(two, v, primary("", "n2:900", "n3:1000", "n4:950"))))
                    .containsExactly(new Action.SetSyncStandbys(List.of("n3", "n4")));
        }

        @Test
        void standbyBeyondMaximumLagOnSyncnodeIsReplaced() {
            ClusterSettings s = ClusterSettings.fromJson("{\"synchronous_mode\": true, \"maximum_lag_on_syncnode\": 50}");
            ClusterView v = cluster(key("n2"), member("n2", 1), member("n3", 1));
            assertThat(syncSteps(decide(s, v, primary("FIRST 1 (\"n2\")", "n2:900", "n3:990"))))
                    .containsExactly(new Action.WriteSync(Set.of(), 7));
        }

        @Test
        void synchronousStandbyNamesAreParsedInEveryForm() {
            ClusterView v = cluster(key(), member("Node-2", 1));
            assertThat(SyncRules.parse("FIRST 2 (\"node_2\", n3)", v)).containsExactly("Node-2", "n3");
            assertThat(SyncRules.parse("ANY 1 (a)", v)).containsExactly("a");
            assertThat(SyncRules.parse("2 (a, b)", v)).containsExactly("a", "b");
            assertThat(SyncRules.parse("a,b", v)).containsExactly("a", "b");
            assertThat(SyncRules.parse("*", v)).containsExactly("*");
            assertThat(SyncRules.parse("", v)).isEmpty();
            assertThat(SyncRules.format(List.of("Node-2", "n3"))).isEqualTo("FIRST 2 (\"node_2\", \"n3\")");
        }
    }

    @Nested
    class NamesInVigilConf {
        private final ClusterView view = cluster(key("n2"), member("n2", 1));

        @Test
        void aReplicaKeepsTheModesDefaultReadyForAPromotion() {
            LocalPostgres replica = Fixtures.replica(1, 100, "n1", true);
            assertThat(SyncRules.namesToWrite(Fixtures.SETTINGS, "me", false, Optional.of(view), replica, "x")).isNull();
            assertThat(SyncRules.namesToWrite(SYNC, "me", false, Optional.of(view), replica, null)).isEmpty();
            assertThat(SyncRules.namesToWrite(STRICT, "me", false, Optional.of(view), replica, null)).isEqualTo("*");
        }

        @Test
        void aLeaderKeepsWhatItWroteOrAdoptsWhatItsPrimaryOrItsSyncKeyHas() {
            assertThat(SyncRules.namesToWrite(SYNC, "me", true, Optional.of(view), primary("FIRST 1 (\"n3\")"), "kept"))
                    .isEqualTo("kept");
            assertThat(SyncRules.namesToWrite(SYNC, "me", true, Optional.of(view), primary("FIRST 1 (\"n3\")"), null))
                    .as("a restarted agent adopts its running primary's").isEqualTo("FIRST 1 (\"n3\")");
            assertThat(SyncRules.namesToWrite(SYNC, "me", true, Optional.of(view), Fixtures.stopped(1, false), null))
                    .as("or what the sync key names for it").isEqualTo("FIRST 1 (\"n2\")");
            assertThat(SyncRules.namesToWrite(STRICT, "me", true, Optional.empty(), Fixtures.stopped(1, false), null))
                    .isEqualTo("*");
        }
        @Test
        void decideChoosesTheNamesAndAChangeMakesVigilConfStale() {
            ClusterView ledByN2 = Fixtures.view("n2", 1000, lead("n2", 1), member("me", 1));
            Observation replica = Fixtures.obs(ledByN2, Fixtures.replica(1, 100, "n2", true));
            assertThat(Decider.next(replica).memory().syncStandbyNames()).as("asynchronous: not set").isNull();
            assertThat(replica.parametersStale()).isFalse();

            Observation syncOn = Fixtures.with(replica, w -> w.settings = SYNC).withMemory(replica.memory());
            Decider.Decision d = Decider.next(syncOn);
            assertThat(d.memory().syncStandbyNames()).as("synchronous mode turned on, ready for a promotion").isEmpty();
            assertThat(d.plan().actions()).as("vigil.conf must be written again").anyMatch(a -> a instanceof Action.ReloadPostgres);

            Memory written = d.memory().confWritten(syncOn.parameters());
            assertThat(written.appliedParameters()).containsEntry("synchronous_standby_names", "");
            Decider.Decision again = Decider.next(syncOn.withMemory(written));
            assertThat(again.plan().actions()).as("nothing stale once written").noneMatch(a -> a instanceof Action.ReloadPostgres);
        }
    }

    @Nested
    class Election {
        static ClusterView leaderless(SyncState sync) {
            ClusterView v = view(null, 1000, member("me", 1), member("n2", 1));
            return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(),
                    v.lastLeaderLsn(), v.history(), v.historyRevision(), v.failover(), v.revision(), sync);
        }

        @Test
        void onlyAMemberNamedInTheSyncKeyMayPromote() {
            Observation o = with(obs(leaderless(new SyncState("old", Set.of("n2"), 3)), Fixtures.replica(1, 1000, "old", false)),
                    w -> w.settings = SYNC);
            Plan p = Decider.decide(o);
            assertThat(p.contains(Action.Promote.class)).isFalse();
            assertThat(p.reason()).contains("not a synchronous standby");
        }

        @Test
        void theNamedMemberPromotesEvenWhenItsPublishedLagExceedsTheLimit() {
            Observation o = with(obs(leaderless(new SyncState("old", Set.of("me"), 3)), Fixtures.replica(1, 10, "old", false)),
                    w -> w.settings = SYNC);
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void aPeerAheadThatMayNotPromoteDoesNotBlockTheNamedMember() {
            Observation o = Fixtures.withPeers(with(obs(leaderless(new SyncState("old", Set.of("me"), 3)),
                    Fixtures.replica(1, 1000, "old", false)), w -> w.settings = SYNC),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(2000)));
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void theLeaderThatWroteTheKeyMayPromoteAndItsLeadBlocksTheNamedMember() {
            // All nodes restarted: the former leader (n2) has commits it acknowledged alone
            Observation o = Fixtures.withPeers(with(obs(leaderless(new SyncState("n2", Set.of("me"), 3)),
                    Fixtures.replica(1, 1000, "n2", false)), w -> w.settings = SYNC),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(2000)));
            Plan p = Decider.decide(o);
            assertThat(p.contains(Action.Promote.class)).isFalse();
            assertThat(p.reason()).contains("n2 is ahead");
            Observation former = with(obs(leaderless(new SyncState("me", Set.of("n2"), 3)),
                    Fixtures.replica(1, 2000, null, false)), w -> w.settings = STRICT);
            assertThat(Decider.decide(former).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void aPromotionClaimsTheSyncKeyNamingNobodyBeforePromoting() {
            Observation o = with(obs(leaderless(new SyncState("old", Set.of("me", "n2"), 3)),
                    Fixtures.replica(1, 1000, "old", false)), w -> w.settings = SYNC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.AcquireLeader(),
                    new Action.WriteSync(Set.of(), 3), new Action.Promote(1, 1000));
            Observation strict = with(o, w -> w.settings = STRICT);
            assertThat(Decider.decide(strict).actions()).containsExactly(new Action.AcquireLeader(),
                    new Action.WriteSync(Set.of(), 3), new Action.Promote(1, 1000),
                    new Action.SetSyncStandbys(List.of("*")));
        }

        @Test
        void aKeyNamingNobodyLetsOnlyItsLeaderPromote() {
            // "old" ran asynchronously (no healthy standby) and acknowledged commits no standby may have
            for (ClusterSettings mode : List.of(SYNC, STRICT)) {
                Observation o = with(obs(leaderless(new SyncState("old", Set.of(), 3)),
                        Fixtures.replica(1, 1000, "old", false)), w -> w.settings = mode);
                Plan p = Decider.decide(o);
                assertThat(p.contains(Action.Promote.class)).isFalse();
                assertThat(p.reason()).contains("old ran without a synchronous standby");
            }
            Observation formerLeader = with(obs(leaderless(new SyncState("me", Set.of(), 3)),
                    Fixtures.replica(1, 1000, null, false)), w -> w.settings = SYNC);
            assertThat(Decider.decide(formerLeader).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void theReasonSaysSinceWhenTheLeaderRanWithoutASynchronousStandby() {
            Observation o = with(obs(leaderless(new SyncState("old", Set.of(), 3, "2026-12-03T09:36:09.725Z")),
                    Fixtures.replica(1, 1000, "old", false)), w -> w.settings = SYNC);
            assertThat(Decider.decide(o).reason())
                    .contains("old ran without a synchronous standby since 2026-12-03T09:36:09.725Z");
        }

        @Test
        void withoutASyncKeyYetAnyHealthyReplicaMayPromote() {
            Observation o = with(obs(leaderless(SyncState.NONE), Fixtures.replica(1, 1000, "old", false)),
                    w -> w.settings = SYNC);
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }
    }
}
