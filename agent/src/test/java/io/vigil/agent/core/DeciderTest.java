package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.SEC;
import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.types;
import static io.vigil.agent.core.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import io.vigil.config.Tags;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DeciderTest {

    @Nested
    class Bootstrap {
        @Test
        void emptyDataAndNoInitializeKeyRacesToBootstrap() {
            Plan p = Decider.decide(obs(ClusterView.empty(), LocalPostgres.noData()));
            assertThat(types(p)).containsExactly(Action.ClaimInitialize.class, Action.InitializeDatabase.class);
        }

        @Test
        void afterFailedBootstrapsTheNextWaitsADoublingPause() {
            // loop_wait 10: two failures in a row, a 20 s pause; now is 100 s
            Observation o = obs(ClusterView.empty(), LocalPostgres.noData());
            Plan during = Decider.decide(Fixtures.with(o, w -> w.bootstrapFailure = new FailuresInARow("it", 2, 81 * SEC)));
            assertThat(during.actions()).isEmpty();
            assertThat(during.reason()).contains("2 bootstrap(s) on this node failed in a row", "pause of 20 s");
            Plan after = Decider.decide(Fixtures.with(o, w -> w.bootstrapFailure = new FailuresInARow("it", 2, 80 * SEC)));
            assertThat(types(after)).containsExactly(Action.ClaimInitialize.class, Action.InitializeDatabase.class);
        }

        @Test
        void existingDataWithoutInitializeKeyIsAdoptedWithItsSystemId() {
            Plan p = Decider.decide(obs(ClusterView.empty(), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.ClaimInitialize(),
                    new Action.AdoptExistingData(Fixtures.SYSID));
        }

        @Test
        void whileAnotherNodeBootstrapsEveryoneElseWaits() {
            ClusterView v = new ClusterView(Optional.of(""), Optional.empty(), Map.of(), null, 0, 0, List.of(), 0, Optional.empty(), 1,
                    io.vigil.cluster.SyncState.NONE);
            assertThat(Decider.decide(obs(v, LocalPostgres.noData())).actions()).isEmpty();
        }

        @Test
        void afterFailedClonesTheNextWaitsADoublingPause() {
            // loop_wait 10: three failures in a row, a 40 s pause; now is 100 s
            Observation o = obs(view("n1", 0, lead("n1", 1)), LocalPostgres.noData());
            Plan during = Decider.decide(Fixtures.cloneFailed(o, new FailuresInARow("n1", 3, 70 * SEC)));
            assertThat(during.actions()).isEmpty();
            assertThat(during.reason()).contains("3 clone(s) from leader n1 failed in a row", "pause of 40 s");
            Plan after = Decider.decide(Fixtures.cloneFailed(o, new FailuresInARow("n1", 3, 60 * SEC)));
            assertThat(after.actions()).containsExactly(new Action.Clone(lead("n1", 1)));
        }

        @Test
        void emptyDataClonesFromARunningLeader() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 1)), LocalPostgres.noData()));
            assertThat(p.actions()).containsExactly(new Action.Clone(lead("n1", 1)));
        }

        @Test
        void emptyDataWithoutLeaderWaits() {
            Plan p = Decider.decide(obs(view(null, 0, member("n1", 1)), LocalPostgres.noData()));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("waiting for a running leader");
        }

        @Test
        void dataOfAnotherClusterIsNeverTouched() {
            LocalPostgres foreign = new LocalPostgres(true, false, false, false, 1, null, null, null, false, null,
                    "123", null, null, null, List.of(), java.util.Map.of(), false, null);
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 1)), foreign));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("belongs to another cluster");
        }
    }

    @Nested
    class Leader {
        @Test
        void runningPrimaryRenewsPublishesPositionAndKeepsSlots() {
            Plan p = Decider.decide(obs(view("me", 0, lead("me", 1), member("n2", 1)), Fixtures.primary(1, 500)));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader(), new Action.PublishLeaderPosition(500),
                    new Action.SyncSlots(java.util.Set.of("n2"), java.util.Set.of("n2")));
        }

        @Test
        void aPositionEtcdAlreadyHoldsIsNotWrittenAgain() {
            LocalPostgres withSlot = withSlots(Fixtures.primary(1, 500), List.of("n2"));
            Plan p = Decider.decide(obs(view("me", 500, lead("me", 1), member("n2", 1)), withSlot));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader());

            Plan moved = Decider.decide(obs(view("me", 400, lead("me", 1), member("n2", 1)), withSlot));
            assertThat(moved.actions()).containsExactly(new Action.RenewLeader(), new Action.PublishLeaderPosition(500));
        }

        @Test
        void slotsAlreadyInPlaceAreLeftAloneAndAStaleOneIsDropped() {
            LocalPostgres withSlot = withSlots(Fixtures.primary(1, 500), List.of("n2"));
            Plan p = Decider.decide(obs(view("me", 0, lead("me", 1), member("n2", 1)), withSlot));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader(), new Action.PublishLeaderPosition(500));

            LocalPostgres stale = withSlots(Fixtures.primary(1, 500), List.of("n2", "n3"));
            Observation o = Fixtures.slotsSeen(obs(view("me", 0, lead("me", 1), member("n2", 1)), stale),
                    Map.of("n3", 100 * SEC - 4000 * SEC));
            assertThat(Decider.decide(o).actions())
                    .contains(new Action.SyncSlots(java.util.Set.of("n2"), java.util.Set.of("n2", "n3")));
        }

        private LocalPostgres withSlots(LocalPostgres p, List<String> slots) {
            return new LocalPostgres(p.hasData(), p.running(), p.accepting(), p.inRecovery(), p.timeline(),
                    p.writeLsn(), p.receiveLsn(), p.replayLsn(), p.streaming(), p.upstream(), p.systemId(),
                    p.serverVersion(), p.postmasterStartTime(), p.replayLagSeconds(), p.replication(), Fixtures.slots(slots),
                    p.pendingRestart(), p.syncStandbyNames());
        }

        @Test
        void slotOfAMemberGoneLessThanMemberSlotsTtlIsKept() {
            Observation o = Fixtures.slotsSeen(obs(view("me", 0, lead("me", 1)), Fixtures.primary(1, 5)),
                    Map.of("n3", 100 * SEC - 60 * SEC, "old", 100 * SEC - 4000 * SEC));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).contains(new Action.SyncSlots(java.util.Set.of("n3"), java.util.Set.of("n3", "old")));
        }

        @Test
        void leaderWhosePostgresIsAStandbyPromotes() {
            Plan p = Decider.decide(obs(view("me", 0, lead("me", 1)), Fixtures.replica(1, 700, null, false)));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader(), new Action.Promote(1, 700));
        }

        @Test
        void crashedPrimaryIsRestartedInPlaceWhileHoldingTheKey() {
            Observation o = Fixtures.downSince(obs(view("me", 0, lead("me", 1)), Fixtures.stopped(1, false)), 99 * SEC);
            assertThat(types(Decider.decide(o))).containsExactly(Action.RenewLeader.class, Action.StartPrimary.class);
        }

        @Test
        void primaryThatDoesNotComeBackWithinPrimaryStartTimeoutReleasesTheKey() {
            Observation o = Fixtures.downSince(obs(view("me", 0, lead("me", 1)), Fixtures.stopped(1, false)), 60 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.ReleaseLeader());
        }

        @Test
        void startingPrimaryKeepsTheKeyWhileItRecovers() {
            Observation o = Fixtures.downSince(obs(view("me", 0, lead("me", 1)), Fixtures.starting()), 95 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.RenewLeader());
        }
    }

    @Nested
    class EtcdUnreachable {
        @Test
        void leaderWhosePromotionKeepsFailingReleasesTheKeyAfterPrimaryStartTimeout() {
            Observation o = Fixtures.withLease(Fixtures.downSince(obs(view("me", 0, lead("me", 1)),
                    Fixtures.replica(1, 5, null, false)), 60 * SEC), 130 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.ReleaseLeader());
            Observation fresh = Fixtures.withLease(Fixtures.downSince(obs(view("me", 0, lead("me", 1)),
                    Fixtures.replica(1, 5, null, false)), 99 * SEC), 130 * SEC);
            assertThat(Decider.decide(fresh).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void primaryKeepsRunningBeforeItsDeadline() {
            Observation o = Fixtures.withLease(obs(null, Fixtures.primary(1, 5)), 110 * SEC);
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("until its lease deadline");
        }

        @Test
        void primaryDemotesOnceTheDeadlineMinusTheMarginHasCome() {
            Observation o = Fixtures.withLease(obs(null, Fixtures.primary(1, 5)), 101 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.StopAtLeaseDeadline());
        }

        @Test
        void primaryWithoutAnyLeaseDemotes() {
            assertThat(Decider.decide(obs(null, Fixtures.primary(1, 5))).actions()).containsExactly(new Action.StopAtLeaseDeadline());
        }

        @Test
        void replicaNeverActs() {
            assertThat(Decider.decide(obs(null, Fixtures.replica(1, 5, "n1", false))).actions()).isEmpty();
        }
    }

    @Nested
    class Follower {
        @Test
        void primaryThatSeesAnotherLeaderDemotesImmediately() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 2)), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.Demote(true));
        }

        @Test
        void replicaPointedElsewhereFollowsTheNewLeader() {
            Plan p = Decider.decide(obs(view("n2", 0, lead("n2", 2)), Fixtures.replica(1, 5, "n1", true)));
            assertThat(p.actions()).containsExactly(new Action.Follow(lead("n2", 2)));
        }

        @Test
        void replicaAlreadyFollowingWaits() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true)));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("streaming from n1");
        }

        @Test
        void formerPrimarysSlotsAreDroppedOnceItStreamsAsAReplica() {
            LocalPostgres r = Fixtures.replica(1, 5, "n1", true);
            LocalPostgres withSlots = new LocalPostgres(r.hasData(), r.running(), r.accepting(), r.inRecovery(),
                    r.timeline(), r.writeLsn(), r.receiveLsn(), r.replayLsn(), r.streaming(), r.upstream(), r.systemId(),
                    r.serverVersion(), r.postmasterStartTime(), r.replayLagSeconds(), r.replication(),
                    Fixtures.slots(List.of("n1", "n3", "not_ours")), r.pendingRestart(), r.syncStandbyNames());
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 1), member("n3", 1)), withSlots));
            assertThat(p.actions()).containsExactly(new Action.SyncSlots(java.util.Set.of(), java.util.Set.of("n1", "n3")));
            assertThat(p.reason()).contains("left from when this node was primary");
        }

        @Test
        void stoppedNodeOnTheLeadersTimelineStartsAsReplica() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 1)), Fixtures.stopped(1, true)));
            assertThat(p.actions()).containsExactly(new Action.StartReplica(lead("n1", 1)));
        }

        @Test
        void stoppedNodeOnAnotherTimelineIsRewound() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 2)), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.Rewind(lead("n1", 2)));
        }

        @Test
        void stoppedNodeWhoseDataEndsBeforeTheSwitchStartsAsReplicaWithoutRewind() {
            // Fixtures.stopped: data known up to 100
            Plan p = Decider.decide(obs(Fixtures.withSwitch(view("n1", 0, lead("n1", 2)), 1, 100), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.StartReplica(lead("n1", 2)));
            assertThat(p.reason()).contains("pg_rewind follows");
        }

        @Test
        void stoppedNodeWhoseDataReachesPastTheSwitchIsRewound() {
            Plan p = Decider.decide(obs(Fixtures.withSwitch(view("n1", 0, lead("n1", 2)), 1, 99), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.Rewind(lead("n1", 2)));
        }

        @Test
        void replicaReplayingPastTheSwitchPointIsRewoundAtOnce() {
            Observation o = Fixtures.notStreamingSince(obs(Fixtures.withSwitch(view("n1", 0, lead("n1", 2)), 1, 400),
                    Fixtures.replica(1, 500, "n1", false)), 100 * SEC);
            Plan p = Decider.decide(o);
            assertThat(p.actions()).containsExactly(new Action.Rewind(lead("n1", 2)));
            assertThat(p.reason()).contains("diverged");
        }

        @Test
        void replicaNotYetAtTheSwitchPointWaitsToFollow() {
            Observation o = Fixtures.notStreamingSince(obs(Fixtures.withSwitch(view("n1", 0, lead("n1", 2)), 1, 500),
                    Fixtures.replica(1, 500, "n1", false)), 100 * SEC);
            assertThat(Decider.decide(o).actions()).isEmpty();
        }

        @Test
        void failedRewindFallsBackToAFreshClone() {
            Observation o = Fixtures.rewindFailed(obs(view("n1", 0, lead("n1", 2)), Fixtures.stopped(1, false)));
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.Reclone(lead("n1", 2)));
        }

        @Test
        void anUnstartedCloneIsStartedAgainNotRewoundOrRecloned() {
            // the clone's pg_control still says "in production", and three starts have failed
            Observation o = Fixtures.unstartedClone(Fixtures.rewindFailed(
                    obs(view("n1", 0, lead("n1", 2)), Fixtures.stopped(2, false))));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).containsExactly(new Action.StartReplica(lead("n1", 2)));
            assertThat(p.reason()).contains("fresh clone of n1", "not cloned again");
        }

        @Test
        void anUnstartedCloneStillWaitsWhilePostgresIsStarting() {
            Observation o = Fixtures.unstartedClone(obs(view("n1", 0, lead("n1", 2)), Fixtures.starting()));
            assertThat(Decider.decide(o).actions()).isEmpty();
        }

        @Test
        void stoppedFormerPrimaryOnTheSameTimelineIsRewoundBeforeFollowing() {
            Plan p = Decider.decide(obs(view("n1", 0, lead("n1", 2)), Fixtures.stopped(2, false)));
            assertThat(p.actions()).containsExactly(new Action.Rewind(lead("n1", 2)));
            assertThat(p.reason()).contains("was a primary");
        }

        @Test
        void streamingReplicaIsNotRewoundWhileTheLeadersPublishedTimelineLags() {
            Observation o = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(2, 5, "n1", true)), 10 * SEC);
            assertThat(Decider.decide(o).actions()).isEmpty();
        }

        @Test
        void replicaStuckOnANewerTimelineThanTheLeaderIsRewound() {
            Observation o = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 5)), Fixtures.replica(6, 5, "n1", false)), 10 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.Rewind(lead("n1", 5)));
        }

        @Test
        void replicaThatCannotStreamOnAnOlderTimelineIsRewoundOnlyAfterTheBound() {
            Observation fresh = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 3)), Fixtures.replica(2, 5, "n1", false)), 95 * SEC);
            assertThat(Decider.decide(fresh).actions()).isEmpty();
            Observation stuck = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 3)), Fixtures.replica(2, 5, "n1", false)), 60 * SEC);
            assertThat(Decider.decide(stuck).actions()).containsExactly(new Action.Rewind(lead("n1", 3)));
        }

        @Test
        void replicaThatCannotStreamOnTheLeadersTimelineIsClonedAfreshAfterTheRepairBound() {
            // 30/10/10: the bound is 3 × (2 × 10 + 10) = 90 s
            Observation waiting = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 3)), Fixtures.replica(3, 5, "n1", false)), 11 * SEC);
            assertThat(Decider.decide(waiting).actions()).isEmpty();
            Observation stuck = Fixtures.notStreamingSince(
                    obs(view("n1", 0, lead("n1", 3)), Fixtures.replica(3, 5, "n1", false)), 10 * SEC);
            Plan p = Decider.decide(stuck);
            assertThat(p.actions()).containsExactly(new Action.Reclone(lead("n1", 3)));
            assertThat(p.reason()).contains("for 90 s on its timeline, replay not moving");
            Observation leaderDown = Fixtures.notStreamingSince(
                    obs(view("n1", 0, member("n1", 3)), Fixtures.replica(3, 5, "n1", false)), 10 * SEC);
            assertThat(Decider.decide(leaderDown).actions()).as("not while the leader does not run as primary").isEmpty();
        }

        @Test
        void repairWaitsUntilTheNewLeaderHasPromoted() {
            Plan p = Decider.decide(obs(view("n1", 0, member("n1", 2)), Fixtures.stopped(1, false)));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("finish promoting");
        }

        @Test
        void leaderWithoutMemberKeyIsWaitedFor() {
            Plan p = Decider.decide(obs(view("n1", 0), Fixtures.stopped(1, true)));
            assertThat(p.actions()).isEmpty();
        }
    }

    @Nested
    class Election {
        @Test
        void mostAdvancedHealthyReplicaTakesTheKeyAndPromotes() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(900)));
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.AcquireLeader(), new Action.Promote(1, 1000));
        }

        @Test
        void allElseEqualACandidateOutsideTheFailedLeadersZoneGoesFirst() {
            Tags zoneA = new Tags(false, false, false, false, null, "a");
            Tags zoneB = new Tags(false, false, false, false, null, "b");
            Member oldLeader = new Member("n0", "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni",
                    io.vigil.cluster.MemberState.RUNNING, io.vigil.cluster.MemberRole.PRIMARY, "0.1.0", 1000L, null, null,
                    1L, zoneA, null, null, null);
            PeerStatus n2 = new PeerStatus("n2", true, true, true, 1, new Lsn(1000));
            Observation inLeadersZone = Fixtures.withTags(Fixtures.withPeers(obs(view(null, 1000, oldLeader,
                    member("n2", 1, 1000, zoneB)), Fixtures.replica(1, 1000, "n0", false)), n2), zoneA);
            Plan p = Decider.decide(inLeadersZone);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("n2 is as advanced and outside zone a, where the leader failed");

            Observation sameZone = Fixtures.withTags(Fixtures.withPeers(obs(view(null, 1000, oldLeader,
                    member("n2", 1, 1000, zoneA)), Fixtures.replica(1, 1000, "n0", false)), n2), zoneA);
            assertThat(Decider.decide(sameZone).actions()).as("both in the failed zone: no preference")
                    .containsExactly(new Action.AcquireLeader(), new Action.Promote(1, 1000));
            Observation outside = Fixtures.withTags(Fixtures.withPeers(obs(view(null, 1000, oldLeader,
                    member("n2", 1, 1000, zoneB)), Fixtures.replica(1, 1000, "n0", false)), n2),
                    new Tags(false, false, false, false, null, "c"));
            assertThat(Decider.decide(outside).actions()).containsExactly(new Action.AcquireLeader(), new Action.Promote(1, 1000));
        }

        @Test
        void replicaBehindAPeerDoesNotRace() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 900, "n1", false)),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(1000)));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("n2 is ahead");
        }

        @Test
        void unreachablePeerDoesNotBlockTheRace() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 900, "n1", false)),
                    PeerStatus.unreachable("n2"));
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void peerAheadButTaggedNofailoverDoesNotBlockTheRace() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1, 2000, new Tags(true, false, false, false, null, null))),
                    Fixtures.replica(1, 1000, "n1", false)), new PeerStatus("n2", true, true, true, 1, new Lsn(2000)));
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void peerOnANewerTimelineBlocksTheRaceEvenWithLessWal() {
            Observation o = Fixtures.withPeers(obs(view(null, 0, member("n2", 5)), Fixtures.replica(4, 1000, "n1", false)),
                    new PeerStatus("n2", true, true, true, 5, new Lsn(900)));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("newer timeline");
        }

        @Test
        void memberOnANewerTimelineBlocksTheRaceEvenWhileItsPostgresIsStarting() {
            Observation o = Fixtures.withPeers(obs(view(null, 0, member("n2", 6)), Fixtures.replica(5, 1000, "n1", false)),
                    new PeerStatus("n2", true, false, true, 6, null));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("n2 published a newer timeline");
        }

        @Test
        void peerOnAnOlderTimelineDoesNotBlockTheRace() {
            Observation o = Fixtures.withPeers(obs(view(null, 0, member("n2", 4)), Fixtures.replica(5, 900, "n1", false)),
                    new PeerStatus("n2", true, true, true, 4, new Lsn(1000)));
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void replicaLaggingBeyondMaximumLagOnFailoverDoesNotRace() {
            Plan p = Decider.decide(obs(view(null, 5_000_000), Fixtures.replica(1, 1000, "n1", false)));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("maximum_lag_on_failover");
        }

        @Test
        void nofailoverReplicaNeverRaces() {
            Observation o = Fixtures.withTags(obs(view(null, 1000), Fixtures.replica(1, 1000, "n1", false)),
                    new Tags(true, false, false, false, null, null));
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("nofailover");
        }

        @Test
        void equallyAdvancedPeerWithHigherPriorityWins() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1, 1000, new Tags(false, false, false, false, 5, null))),
                    Fixtures.replica(1, 1000, "n1", false)), new PeerStatus("n2", true, true, true, 1, new Lsn(1000)));
            assertThat(Decider.decide(o).actions()).isEmpty();
        }

        private static PeerStatus startingPeer(String name, long tl, Long checkpoint) {
            return new PeerStatus(name, true, false, false, tl, null, true, checkpoint == null ? null : new Lsn(checkpoint));
        }

        @Test
        void startingPeerWhoseDataReachesFurtherHoldsTheRaceForAtMostTtl() {
            Observation o = Fixtures.withPeers(obs(view(null, 0, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)),
                    startingPeer("n2", 1, 2000L));
            Plan fresh = Decider.decide(Fixtures.leaderlessSince(o, o.nowNanos() - Fixtures.SEC));
            assertThat(fresh.actions()).isEmpty();
            assertThat(fresh.reason()).contains("n2's Postgres is starting and its data already reaches WAL");
            long ttl = o.settings().ttlDuration().toNanos();
            Plan late = Decider.decide(Fixtures.leaderlessSince(o, o.nowNanos() - ttl));
            assertThat(late.contains(Action.Promote.class)).isTrue();
        }

        @Test
        void replicaLackingTheLastLeaderPositionWaitsForAStartingPeer() {
            Observation o = Fixtures.leaderlessSince(Fixtures.withPeers(
                    obs(view(null, 1500, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)),
                    startingPeer("n2", 1, 500L)), 100 * Fixtures.SEC);
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("we lack WAL up to the last leader position");
        }

        @Test
        void replicaWithTheLastLeaderPositionDoesNotWaitForAStartingPeerBehindIt() {
            Observation o = Fixtures.leaderlessSince(Fixtures.withPeers(
                    obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)),
                    startingPeer("n2", 1, 500L)), 100 * Fixtures.SEC);
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void replicaLackingTheFinalPositionOfACleanlyStoppedLeaderWaitsForItsAgentForAtMostTtl() {
            // REBOOT_ALL: the leader stopped last and revoked its member key; nobody else has its last commits
            Observation o = obs(Fixtures.withStoppedLeader(view(null, 1500, member("n2", 1)), "n1"),
                    Fixtures.replica(1, 1000, "n1", false));
            Observation rebooted = Fixtures.withPeers(o, new PeerStatus("n2", true, true, true, 1, new Lsn(1000)));
            Plan fresh = Decider.decide(Fixtures.leaderlessSince(rebooted, o.nowNanos() - Fixtures.SEC));
            assertThat(fresh.actions()).isEmpty();
            assertThat(fresh.reason()).contains("the last leader n1 shut down cleanly at WAL", "waiting for it to start");
            long ttl = o.settings().ttlDuration().toNanos();
            Plan late = Decider.decide(Fixtures.leaderlessSince(rebooted, o.nowNanos() - ttl));
            assertThat(late.contains(Action.Promote.class)).isTrue();
        }

        @Test
        void replicaWithTheFinalPositionOfACleanlyStoppedLeaderDoesNotWaitForIt() {
            Observation o = obs(Fixtures.withStoppedLeader(view(null, 1000), "n1"), Fixtures.replica(1, 1000, "n1", false));
            assertThat(Decider.decide(Fixtures.leaderlessSince(o, o.nowNanos())).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void positionPublishedByALeaderThatWasNotStoppedCleanlyHoldsNoRaceForAnAbsentNode() {
            // A leader that died leaves its published position but no name: the others need not wait for it
            Observation o = obs(view(null, 1500), Fixtures.replica(1, 1000, "n1", false));
            assertThat(Decider.decide(Fixtures.leaderlessSince(o, o.nowNanos())).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void memberPublishedAsStoppedWithDataAheadHoldsTheRaceWhenItsApiIsSlow() {
            Member stopped = new Member("n2", "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni",
                    io.vigil.cluster.MemberState.STOPPED, io.vigil.cluster.MemberRole.UNINITIALIZED, "0.1.0", 2000L, null, null, 1L, Tags.NONE, null, null, null);
            Observation o = Fixtures.leaderlessSince(Fixtures.withPeers(
                    obs(view(null, 0, stopped), Fixtures.replica(1, 1000, "n1", false)), PeerStatus.unreachable("n2")),
                    100 * Fixtures.SEC);
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("n2's Postgres is starting and its data already reaches WAL");
        }

        @Test
        void startingPeerThatMayNotPromoteDoesNotHoldTheRace() {
            Observation o = Fixtures.leaderlessSince(Fixtures.withPeers(
                    obs(view(null, 1500, member("n2", 1, 0, new Tags(true, false, false, false, null, null))),
                            Fixtures.replica(1, 1000, "n1", false)),
                    startingPeer("n2", 1, 2000L)), 100 * Fixtures.SEC);
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
        }

        @Test
        void aNodeThatCouldNotRunAsPrimaryLetsTheOthersRaceForTwoTtl() {
            Observation o = obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false));
            long ttl = o.settings().ttlDuration().toNanos();
            Plan recent = Decider.decide(Fixtures.with(o, w -> w.failedAsPrimary = o.nowNanos() - ttl));
            assertThat(recent.actions()).isEmpty();
            assertThat(recent.reason()).contains("could not run as primary");
            Plan later = Decider.decide(Fixtures.with(o, w -> w.failedAsPrimary = o.nowNanos() - 2 * ttl));
            assertThat(later.contains(Action.Promote.class)).isTrue();
        }

        @Test
        void peerStillRunningAsPrimaryBlocksTheRace() {
            Observation o = Fixtures.withPeers(obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)),
                    new PeerStatus("n2", true, true, false, 1, new Lsn(1000)));
            assertThat(Decider.decide(o).actions()).isEmpty();
        }

        @Test
        void stoppedNodeStartsAsReplicaToJoinTheElection() {
            Plan p = Decider.decide(obs(view(null, 0), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.StartReplica(null));
        }

        @Test
        void runningPrimaryWithoutKeyTakesItBackWhenNoMemberIsOnANewerTimeline() {
            Plan p = Decider.decide(obs(view(null, 0, member("n2", 1)), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.AcquireLeader());
        }

        @Test
        void runningPrimaryWithoutKeyDemotesWhenAMemberIsOnANewerTimeline() {
            Plan p = Decider.decide(obs(view(null, 0, member("n2", 3)), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.Demote(true));
        }
    }

    @Nested
    class Switchover {
        private final ClusterView cluster = view("me", 0, lead("me", 1), member("n2", 1));

        @Test
        void leaderHandsOverToTheRequestedCandidate() {
            Plan p = Decider.decide(obs(Fixtures.withFailover(cluster, "me", "n2", null), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.HandOver(member("n2", 1)));
        }

        @Test
        void scheduledSwitchoverWaitsForItsTime() {
            Plan later = Decider.decide(obs(Fixtures.withFailover(cluster, "me", "n2", "2026-11-26T13:00:00Z"),
                    Fixtures.primary(1, 5)));
            assertThat(later.contains(Action.HandOver.class)).isFalse();
            Plan due = Decider.decide(obs(Fixtures.withFailover(cluster, "me", "n2", "2026-11-26T11:59:00Z"),
                    Fixtures.primary(1, 5)));
            assertThat(due.actions()).containsExactly(new Action.HandOver(member("n2", 1)));
        }

        @Test
        void requestNamingAnotherLeaderIsStaleAndDropped() {
            Plan p = Decider.decide(obs(Fixtures.withFailover(cluster, "old", "n2", null), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader(), new Action.ClearFailover());
        }

        @Test
        void unknownCandidateIsDropped() {
            Plan p = Decider.decide(obs(Fixtures.withFailover(cluster, "me", "ghost", null), Fixtures.primary(1, 5)));
            assertThat(p.actions()).containsExactly(new Action.ClearFailover());
        }

        @Test
        void leaderWithPostgresDownReleasesTheKeyForAFailover() {
            Plan p = Decider.decide(obs(Fixtures.withFailover(cluster, null, "n2", null), Fixtures.stopped(1, false)));
            assertThat(p.actions()).containsExactly(new Action.ReleaseLeader());
        }

        @Test
        void namedCandidateRacesAtOnceEvenIfAPeerIsAhead() {
            ClusterView v = Fixtures.withFailover(view(null, 0, member("n2", 1)), "old", "me", null);
            Observation o = Fixtures.withPeers(obs(v, Fixtures.replica(1, 900, "old", true)),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(1000)));
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.AcquireLeader(), new Action.Promote(1, 900),
                    new Action.ClearFailover());
        }

        @Test
        void otherReplicasWaitForTheNamedCandidate() {
            ClusterView v = Fixtures.withFailover(view(null, 0, member("n2", 1)), "old", "n2", null);
            Plan p = Decider.decide(obs(v, Fixtures.replica(1, 2000, "old", true)));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("switchover to n2 in progress");
        }
    }

    /** watchdog.mode: required, and the watchdog does not work on this node (or on a peer). */
    @Nested
    class RequiredWatchdog {
        private static final String MISSING = "/dev/watchdog does not exist";

        @Test
        void nodeWithoutItDoesNotBootstrap() {
            Plan p = Decider.decide(Fixtures.watchdogProblem(obs(ClusterView.empty(), LocalPostgres.noData()), MISSING));
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("watchdog.mode is required").contains(MISSING);
        }

        @Test
        void replicaWithoutItDoesNotRace() {
            Observation o = Fixtures.watchdogProblem(
                    obs(view(null, 1000, member("n2", 1)), Fixtures.replica(1, 1000, "n1", false)), MISSING);
            Plan p = Decider.decide(o);
            assertThat(p.actions()).isEmpty();
            assertThat(p.reason()).contains("not racing").contains(MISSING);
        }

        @Test
        void failoverNamingANodeWithoutItIsDropped() {
            Observation o = Fixtures.watchdogProblem(obs(Fixtures.withFailover(view(null, 1000, member("n2", 1)),
                    null, "me", null), Fixtures.replica(1, 1000, "n1", false)), MISSING);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.ClearFailover());
        }

        @Test
        void primaryThatLosesItDemotesAndReleasesTheKey() {
            Observation o = Fixtures.watchdogProblem(Fixtures.withLease(
                    obs(view("me", 1000, lead("me", 1)), Fixtures.primary(1, 1000)), 120 * SEC), "feeding failed");
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.Demote(false), new Action.ReleaseLeader());
        }

        @Test
        void leaderThatCouldNotArmItBeforePromotingReleasesTheKey() {
            Observation o = Fixtures.watchdogProblem(Fixtures.withLease(
                    obs(view("me", 1000, lead("me", 1)), Fixtures.replica(1, 1000, null, false)), 120 * SEC), "timeout");
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.ReleaseLeader());
        }

        @Test
        void peerAheadWhoseWatchdogFailedDoesNotBlockTheRace() {
            Member n2 = member("n2", 1, 2000, Tags.NONE);
            Member failed = new Member(n2.name(), n2.connUrl(), n2.apiUrl(), n2.state(), n2.role(), n2.version(),
                    n2.xlogLocation(), null, null, n2.timeline(), Tags.NONE, null, null, true);
            Observation o = Fixtures.withPeers(obs(view(null, 1000, failed), Fixtures.replica(1, 1000, "n1", false)),
                    new PeerStatus("n2", true, true, true, 1, new Lsn(2000)));
            assertThat(Decider.decide(o).contains(Action.Promote.class)).isTrue();
            assertThat(Candidacy.whyNot(Fixtures.SETTINGS, view(null, 1000, failed), null, failed))
                    .contains("watchdog");
        }
    }
}
