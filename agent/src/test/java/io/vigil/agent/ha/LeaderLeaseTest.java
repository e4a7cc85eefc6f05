package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderLeaseTest {
    private final List<Long> heard = new ArrayList<>();
    private final LeaderLease lease = new LeaderLease(heard::add);

    @Test
    void renewalBesideTheLoopExtendsTheDeadlineWhileWeLead() {
        lease.renewed(1_000, 5_000);
        assertThat(lease.renewedIfHeld(2_000, 5_000)).isTrue();
        assertThat(lease.untilNanos()).isEqualTo(7_000);
        assertThat(heard).containsExactly(6_000L, 7_000L);
    }

    @Test
    void renewalInFlightWhenTheLoopLetGoDoesNotBringTheDeadlineBack() {
        lease.renewed(1_000, 5_000);
        lease.clear();
        assertThat(lease.renewedIfHeld(2_000, 5_000)).isFalse();
        assertThat(lease.held()).isFalse();
        assertThat(heard).containsExactly(6_000L, 0L);
    }

    @Test
    void theLoopsOwnRenewalStartsLeading() {
        assertThat(lease.renewedIfHeld(2_000, 5_000)).isFalse();
        lease.renewed(2_000, 5_000);
        assertThat(lease.untilNanos()).isEqualTo(7_000);
    }
}
