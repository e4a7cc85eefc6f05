package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WalSenderTitlesTest {
    @Test
    void aWalSendersStateIsReadFromItsTitleWithoutThePositionThatMovesOn() {
        assertThat(WalSenderTitles.stateWord("postgres: demo-node1: walsender replicator 127.0.0.1(51234) streaming 0/5000060"))
                .isEqualTo("streaming");
        assertThat(WalSenderTitles.stateWord("postgres: walsender replicator [local] catchup")).isEqualTo("catchup");
        assertThat(WalSenderTitles.stateWord("postgres: demo-node1: walsender replicator 127.0.0.1(51234)")).isEmpty();
    }
}
