package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.SEC;
import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.types;
import static io.vigil.agent.core.Fixtures.view;
import static io.vigil.agent.core.Fixtures.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.ClusterSettings;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class OperatorRulesTest {
    static final ClusterSettings PAUSED = new ClusterSettings(30, 10, 10, 1_048_576L, 1800, 30, null, true, null, null, null, null, null, null, null, null);

    static Observation paused(Observation o) {
        return with(o, w -> w.settings = PAUSED);
    }

    static Observation command(Observation o, NodeCommand c) {
        return with(o, w -> w.command = c);
    }

    static LocalPostgres pendingRestart(LocalPostgres p) {
        return new LocalPostgres(p.hasData(), p.running(), p.accepting(), p.inRecovery(), p.timeline(), p.writeLsn(),
                p.receiveLsn(), p.replayLsn(), p.streaming(), p.upstream(), p.systemId(), p.serverVersion(),
                p.postmasterStartTime(), p.replayLagSeconds(), p.replication(), p.slots(), true, null);
    }

    @Nested
    class Pause {
        @Test
        void leaderKeepsRenewingItsKey() {
            Plan p = Decider.decide(paused(obs(view("me", 0, lead("me", 1)), Fixtures.primary(1, 500))));
            assertThat(types(p)).containsExactly(Action.RenewLeader.class, Action.PublishLeaderPosition.class);
            assertThat(p.reason()).startsWith("paused: ");
        }

        @Test
        void crashedPrimaryIsNotRestarted() {
            Observation o = Fixtures.downSince(obs(view("me", 0, lead("me", 1)), Fixtures.stopped(1, false)), 99 * SEC);
            Plan p = Decider.decide(paused(o));
            assertThat(p.actions()).containsExactly(new Action.RenewLeader());
            assertThat(p.reason()).contains("taking no automatic action").contains("restarting it in place");
        }

        @Test
        void nobodyRunsForLeaderWhenTheKeyIsGone() {
            Observation o = obs(view(null, 100, member("me", 1, 100, io.vigil.config.Tags.NONE)),
                    Fixtures.replica(1, 100, "n1", false));
            assertThat(Decider.decide(o).contains(Action.AcquireLeader.class)).isTrue();
            assertThat(Decider.decide(paused(o)).actions()).isEmpty();
        }

        @Test
        void primaryThatSeesAnotherLeaderIsNotDemoted() {
            Plan p = Decider.decide(paused(obs(view("n1", 0, lead("n1", 2)), Fixtures.primary(1, 5))));
            assertThat(p.actions()).isEmpty();
        }

        @Test
        void etcdOutageDoesNotDemoteThePrimary() {
            Observation o = Fixtures.withLease(obs(null, Fixtures.primary(1, 5)), 101 * SEC);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.StopAtLeaseDeadline());
            assertThat(Decider.decide(paused(o)).actions()).isEmpty();
        }

        @Test
        void anOperatorsSwitchoverRequestStillRuns() {
            var v = Fixtures.withFailover(view("me", 0, lead("me", 1), member("n2", 1)), "me", "n2", null);
            Plan p = Decider.decide(paused(obs(v, Fixtures.primary(1, 5))));
            assertThat(types(p)).containsExactly(Action.HandOver.class);
        }
    }

    @Nested
    class Restart {
        @Test
        void leaderRestartsInPlaceWhileRenewingItsKey() {
            Plan p = Decider.decide(command(obs(view("me", 0, lead("me", 1)), Fixtures.primary(1, 500)),
                    new NodeCommand.Restart(null, false)));
            assertThat(p.refusal()).isNull();
            assertThat(p.actions()).startsWith(new Action.RenewLeader())
                    .endsWith(new Action.RestartPostgres(true, null));
        }

        @Test
        void replicaRestartsStreamingFromTheLeader() {
            Plan p = Decider.decide(command(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    new NodeCommand.Restart(null, false)));
            assertThat(p.actions()).containsExactly(new Action.RestartPostgres(false, lead("n1", 1)));
        }

        @Test
        void roleFilterThatDoesNotMatchIsRefused() {
            Plan p = Decider.decide(command(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    new NodeCommand.Restart("primary", false)));
            assertThat(p.contains(Action.RestartPostgres.class)).isFalse();
            assertThat(p.refusal()).contains("this node is a replica, not a primary");
        }

        @Test
        void restartPendingFilterNeedsAPendingRestart() {
            Observation o = obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true));
            NodeCommand.Restart onlyIfPending = new NodeCommand.Restart(null, true);
            assertThat(Decider.decide(command(o, onlyIfPending)).refusal()).contains("no restart is pending");
            Observation pending = obs(view("n1", 0, lead("n1", 1)), pendingRestart(Fixtures.replica(1, 5, "n1", true)));
            assertThat(Decider.decide(command(pending, onlyIfPending)).contains(Action.RestartPostgres.class)).isTrue();
        }

        @Test
        void stoppedPostgresIsNotRestarted() {
            Plan p = Decider.decide(command(obs(view("n1", 0, lead("n1", 1)), Fixtures.stopped(1, true)),
                    new NodeCommand.Restart(null, false)));
            assertThat(p.refusal()).isNotNull();
        }

        @Test
        void nodeBusyWithAFailoverRefusesTheRestart() {
            Plan p = Decider.decide(command(obs(view("n2", 0, lead("n2", 2)), Fixtures.replica(1, 5, "n1", true)),
                    new NodeCommand.Restart(null, false)));
            assertThat(p.actions()).containsExactly(new Action.Follow(lead("n2", 2)));
            assertThat(p.refusal()).startsWith("the node is busy");
        }
    }

    @Nested
    class Reinitialize {
        @Test
        void leaderRefuses() {
            Plan p = Decider.decide(command(obs(view("me", 0, lead("me", 1)), Fixtures.primary(1, 5)),
                    new NodeCommand.Reinitialize()));
            assertThat(p.refusal()).isEqualTo("I am the leader, can not reinitialize");
            assertThat(p.contains(Action.Reclone.class)).isFalse();
        }

        @Test
        void withoutLeaderRefuses() {
            Plan p = Decider.decide(command(obs(view(null, 0, member("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    new NodeCommand.Reinitialize()));
            assertThat(p.refusal()).isEqualTo("Cluster has no leader, can not reinitialize");
        }

        @Test
        void replicaReclonesFromTheLeader() {
            Plan p = Decider.decide(command(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    new NodeCommand.Reinitialize()));
            assertThat(p.actions()).containsExactly(new Action.Reclone(lead("n1", 1)));
            assertThat(p.refusal()).isNull();
        }
    }

    @Nested
    class Reload {
        @Test
        void changedParametersAreReloadedOnTheLeader() {
            Observation o = with(obs(view("me", 0, lead("me", 1)), Fixtures.primary(1, 5)), w -> w.parametersStale = true);
            assertThat(Decider.decide(o).actions()).endsWith(new Action.ReloadPostgres(null));
        }

        @Test
        void replicaReloadsKeepingItsLeaderAsUpstream() {
            Observation o = with(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    w -> w.parametersStale = true);
            assertThat(Decider.decide(o).actions()).containsExactly(new Action.ReloadPostgres(lead("n1", 1)));
        }

        @Test
        void replicaWithoutALeaderWaitsRatherThanDropItsUpstream() {
            Observation o = with(obs(view(null, 0, member("n1", 1)), Fixtures.replica(1, 5, "n1", true)),
                    w -> w.parametersStale = true);
            assertThat(Decider.decide(o).contains(Action.ReloadPostgres.class)).isFalse();
            Plan asked = Decider.decide(command(o, new NodeCommand.Reload()));
            assertThat(asked.refusal()).isNotNull();
        }

        @Test
        void reloadOfAStoppedNodeIsNotRefused() {
            Plan p = Decider.decide(command(obs(view("n1", 0, lead("n1", 1)), Fixtures.stopped(1, true)),
                    new NodeCommand.Reload()));
            assertThat(p.refusal()).isNull();
            assertThat(p.contains(Action.ReloadPostgres.class)).isFalse();
        }
    }
}
