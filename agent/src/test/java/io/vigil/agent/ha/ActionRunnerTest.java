package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.core.Action;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ActionRunnerTest {
    @Test
    void everyKindOfActionHasAHandler() {
        ActionRunner runner = new ActionRunner(null, null, null, null, null, null, null, null, null, null, null, null);
        Set<Class<?>> kinds = Arrays.stream(Action.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertThat(kinds).hasSizeGreaterThan(20);
        assertThat(Set.<Class<?>>copyOf(runner.handled())).isEqualTo(kinds);
    }

    @Test
    void theLoopReadsWhatItNeedsFromEachActionsTraits() {
        assertThat(new Action.HandOver(null).has(Action.Trait.OUTLASTS_LEASE)).isTrue();
        assertThat(new Action.RenewLeader().traits()).containsExactlyInAnyOrder(Action.Trait.ETCD_ONLY,
                Action.Trait.WHILE_PAUSED, Action.Trait.ROUTINE);
        assertThat(new Action.SetSyncStandbys(null).has(Action.Trait.NEXT_CYCLE_AT_ONCE))
                .as("a sync step leads to the next at once").isTrue();
        assertThat(new Action.ReloadPostgres(null).has(Action.Trait.NEXT_CYCLE_AT_ONCE)).isFalse();
        assertThat(new Action.Promote(1, 1).has(Action.Trait.WHILE_PAUSED)).as("paused: no promotion").isFalse();
    }
}
