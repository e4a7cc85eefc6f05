package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailedAttemptsTest {
    private static final Optional<ClusterView> LED_BY_N1 = Optional.of(view("n1", 100, member("n1", 2), member("n2", 1)));
    private static final Optional<ClusterView> LED_BY_N2 = Optional.of(view("n2", 100, member("n1", 2), member("n2", 1)));
    private static final Optional<ClusterView> LEADERLESS = Optional.of(view(null, 100, member("n1", 2)));

    private FailedAttempts attempts = FailedAttempts.NONE;

    @Test
    void aRejoinFailsAfterThreeFailedStartsAgainstTheSameLeader() {
        attempts = attempts.startAsReplicaFailed("n1");
        attempts = attempts.startAsReplicaFailed("n1");
        assertThat(attempts.rejoinFailed(LED_BY_N1)).isFalse();
        attempts = attempts.startAsReplicaFailed("n1");
        assertThat(attempts.rejoinFailed(LED_BY_N1)).isTrue();
        assertThat(attempts.rejoinFailed(LED_BY_N2)).as("counted per leader").isFalse();
        assertThat(attempts.rejoinFailed(LEADERLESS)).isFalse();
        assertThat(attempts.rejoinFailed(Optional.empty())).isFalse();
    }

    @Test
    void aFailedRewindIsTheWholeAllowanceAndRunningAsAReplicaClearsIt() {
        attempts = attempts.rewindFailed("n1");
        assertThat(attempts.rejoinFailed(LED_BY_N1)).isTrue();
        attempts = attempts.runningAsReplica();
        assertThat(attempts.rejoinFailed(LED_BY_N1)).isFalse();
        attempts = attempts.rewindFailed("n1");
        attempts = attempts.dataDiscarded();
        assertThat(attempts.rejoinFailed(LED_BY_N1)).isFalse();
    }

    @Test
    void clonesFromOneLeaderCountInARowAndAnotherLeaderStartsAgain() {
        attempts = attempts.cloneFailed("n1", 10);
        attempts = attempts.cloneFailed("n1", 20);
        assertThat(attempts.cloneFailureFromLeader(LED_BY_N1)).isEqualTo(new FailuresInARow("n1", 2, 20));
        assertThat(attempts.cloneFailureFromLeader(LED_BY_N2)).isNull();
        attempts = attempts.cloneFailed("n2", 30);
        assertThat(attempts.cloneFailureFromLeader(LED_BY_N2)).isEqualTo(new FailuresInARow("n2", 1, 30));
    }

    @Test
    void aDoneCloneIsUnstartedUntilPostgresRunsAsAReplicaAndEndsThePauses() {
        attempts = attempts.cloneFailed("n1", 10);
        attempts = attempts.cloneStarting();
        attempts = attempts.cloneDone("n1");
        assertThat(attempts.cloneFailureFromLeader(LED_BY_N1)).isNull();
        assertThat(attempts.unstartedCloneOfLeader(LED_BY_N1)).isTrue();
        assertThat(attempts.unstartedCloneOfLeader(LED_BY_N2)).as("a clone of another leader").isFalse();
        attempts = attempts.runningAsReplica();
        assertThat(attempts.unstartedCloneOfLeader(LED_BY_N1)).isFalse();
    }

    @Test
    void aCloneUnderWayIsNoLongerAnUnstartedOne() {
        attempts = attempts.cloneDone("n1");
        attempts = attempts.cloneStarting();
        attempts = attempts.cloneFailed("n1", 10);
        assertThat(attempts.unstartedCloneOfLeader(LED_BY_N1)).isFalse();
    }

    @Test
    void bootstrapsCountInARowUntilOneSucceeds() {
        attempts = attempts.bootstrapFailed("it", 10);
        attempts = attempts.bootstrapFailed("it", 20);
        assertThat(attempts.bootstrapFailure()).isEqualTo(new FailuresInARow("it", 2, 20));
        attempts = attempts.bootstrapDone();
        assertThat(attempts.bootstrapFailure()).isNull();
    }

    @Test
    void remembersTheLastFailureAsPrimary() {
        assertThat(attempts.failedAsPrimaryNanos()).isNull();
        attempts = attempts.failedAsPrimary(5);
        attempts = attempts.failedAsPrimary(7);
        assertThat(attempts.failedAsPrimaryNanos()).isEqualTo(7L);
    }
}
