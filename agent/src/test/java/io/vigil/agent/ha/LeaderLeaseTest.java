package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderLeaseTest {
    private final List<Long> heard = new ArrayList<>();
    private final List<String> heardOn = new ArrayList<>();
    private final LeaderLease lease = new LeaderLease(until -> {
        heard.add(until);
        heardOn.add(Thread.currentThread().getName());
    });

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

    @Test
    void everyChangeIsMadeOnTheLeasesOwnThreadWhoeverAsksForIt() throws Exception {
        lease.renewed(1_000, 5_000);
        Thread fence = new Thread(lease::clear, "vigil-fence");
        fence.start();
        fence.join();
        Thread.currentThread().interrupt();   // an interrupted caller still sees its change made
        lease.renewed(3_000, 5_000);
        assertThat(Thread.interrupted()).isTrue();
        assertThat(heard).containsExactly(6_000L, 0L, 8_000L);
        assertThat(heardOn).containsOnly("vigil-lease");
    }

    @Test
    void afterCloseTheDeadlineIsGoneAndStaysGone() {
        lease.renewed(1_000, 5_000);
        lease.close();
        lease.renewed(2_000, 5_000);
        assertThat(lease.held()).isFalse();
        assertThat(heard).containsExactly(6_000L, 0L);
    }
}
