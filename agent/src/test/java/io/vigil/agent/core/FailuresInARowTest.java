package io.vigil.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailuresInARowTest {
    private static final Duration LOOP_WAIT = Duration.ofSeconds(10);

    @Test
    void thePauseDoublesFromLoopWaitUpToFiveMinutes() {
        assertThat(new FailuresInARow("n1", 1, 0).pause(LOOP_WAIT)).isEqualTo(Duration.ofSeconds(10));
        assertThat(new FailuresInARow("n1", 2, 0).pause(LOOP_WAIT)).isEqualTo(Duration.ofSeconds(20));
        assertThat(new FailuresInARow("n1", 5, 0).pause(LOOP_WAIT)).isEqualTo(Duration.ofSeconds(160));
        assertThat(new FailuresInARow("n1", 6, 0).pause(LOOP_WAIT)).isEqualTo(Duration.ofMinutes(5));
        assertThat(new FailuresInARow("n1", 1_000, 0).pause(LOOP_WAIT)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void pausingUntilThePauseHasPassed() {
        FailuresInARow twice = new FailuresInARow("n1", 2, 1_000_000_000L);
        assertThat(twice.pausing(1_000_000_000L + Duration.ofSeconds(19).toNanos(), LOOP_WAIT)).isTrue();
        assertThat(twice.pausing(1_000_000_000L + Duration.ofSeconds(20).toNanos(), LOOP_WAIT)).isFalse();
    }
}
