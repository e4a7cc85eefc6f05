package io.vigil.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class NodeRoleTest {

    @Test
    void everyRoleIsReachableFromAnotherRole() {
        assertThat(NodeRole.reachable()).containsAll(EnumSet.complementOf(EnumSet.of(NodeRole.UNINITIALIZED)));
    }

    @Test
    void aPrimaryNeverGoesBackToUninitializedDirectly() {
        assertThat(NodeRole.PRIMARY.transitionTo(NodeRole.UNINITIALIZED)).isNull();
    }

    @Test
    void promotionIsAnAllowedTransitionWithAReason() {
        assertThat(NodeRole.REPLICA.transitionTo(NodeRole.PRIMARY)).contains("promoted");
    }

    @Test
    void roleIsDerivedFromPostgresAndTheKey() {
        assertThat(NodeRole.of(Fixtures.primary(1, 5), true)).isEqualTo(NodeRole.PRIMARY);
        assertThat(NodeRole.of(Fixtures.primary(1, 5), false)).isEqualTo(NodeRole.UNFENCED_PRIMARY);
        assertThat(NodeRole.of(Fixtures.replica(1, 5, null, false), false)).isEqualTo(NodeRole.REPLICA);
        assertThat(NodeRole.of(Fixtures.stopped(1, true), false)).isEqualTo(NodeRole.STOPPED);
        assertThat(NodeRole.of(Fixtures.starting(), true)).isEqualTo(NodeRole.STARTING);
    }
}
