package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.config.ClusterSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FastTakeoverParametersTest {
    @Test
    void aFrozenLeadersStreamEndsWithinSecondsWhileFastTakeoverIsOn() {
        ClusterSettings sync = ClusterSettings.fromJson("{\"synchronous_mode\":true}");
        assertThat(FastTakeoverParameters.apply(sync, Map.of("work_mem", "8MB")))
                .containsEntry("wal_receiver_timeout", "2s").containsEntry("work_mem", "8MB");
        assertThat(FastTakeoverParameters.apply(sync, Map.of("wal_receiver_timeout", "30s")))
                .as("the operator's value wins").containsEntry("wal_receiver_timeout", "30s");
        for (String off : new String[] {"{}", "{\"synchronous_mode\":true,\"fast_takeover\":false}",
            "{\"synchronous_mode\":true,\"pause\":true}"}) {
            assertThat(FastTakeoverParameters.apply(ClusterSettings.fromJson(off), Map.of())).as(off)
                    .doesNotContainKey("wal_receiver_timeout");
        }
    }
}
