package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.SEC;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.view;
import static io.vigil.agent.core.Fixtures.with;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailsafeRulesTest {

    @Test
    void confirmedPrimaryKeepsRunningWithoutEtcdPastItsOldDeadline() {
        Observation o = Fixtures.withLease(obs(null, Fixtures.primary(1, 5)), 101 * SEC);
        assertThat(Decider.decide(o).actions()).containsExactly(new Action.StopAtLeaseDeadline());
        Plan confirmed = Decider.decide(with(o, w -> w.failsafeConfirmed = true));
        assertThat(confirmed.actions()).isEmpty();
        assertThat(confirmed.reason()).contains("every member confirmed");
    }

    @Test
    void replicaToldByALivePrimaryDoesNotRaceEvenWithEtcdBack() {
        Observation o = obs(view(null, 100, member("me", 1)), Fixtures.replica(1, 100, "n1", false));
        assertThat(Decider.decide(o).contains(Action.AcquireLeader.class)).isTrue();
        Plan told = Decider.decide(with(o, w -> w.failsafeLeader = "n1"));
        assertThat(told.actions()).isEmpty();
        assertThat(told.reason()).contains("failsafe_mode: n1");
    }
}
