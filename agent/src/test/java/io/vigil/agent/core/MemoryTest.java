package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryTest {

    @Test
    void notStreamingCountsOnlyWhileALeaderRunsAndReplayStandsStill() {
        Memory first = Memory.START.after(obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 500, "n1", false)));
        assertThat(first.notStreamingSinceNanos()).isEqualTo(100 * Fixtures.SEC);
        assertThat(first.lastReplayLsn()).isEqualTo(500L);

        Observation same = obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 500, "n1", false)).withMemory(first);
        assertThat(first.after(same).notStreamingSinceNanos()).as("still stuck: the count goes on").isEqualTo(100 * Fixtures.SEC);

        Observation replaying = obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 600, "n1", false)).withMemory(first);
        assertThat(first.after(replaying).notStreamingSinceNanos()).as("replay moved (the archive, say)").isNull();

        Observation leaderDown = obs(view("n1", 0, member("n1", 1)), Fixtures.replica(1, 500, "n1", false)).withMemory(first);
        assertThat(first.after(leaderDown).notStreamingSinceNanos()).as("no running leader to stream from").isNull();

        Observation streaming = obs(view("n1", 0, lead("n1", 1)), Fixtures.replica(1, 500, "n1", true)).withMemory(first);
        assertThat(first.after(streaming).notStreamingSinceNanos()).isNull();
    }
}
