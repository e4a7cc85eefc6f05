package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParameterCheckTest {
    @Test
    void whatAParameterTakesComesFromTheServersDescriptionAndUnit() {
        var maxWorkers = new ParameterCheck.Description("INTEGER", "0", "262143");
        assertThat(ParameterCheck.accepts(maxWorkers, "")).isEqualTo("an integer from 0 to 262143");
        var sharedBuffers = new ParameterCheck.Description("INTEGER", "16", "1073741823");
        assertThat(ParameterCheck.accepts(sharedBuffers, "8kB"))
                .isEqualTo("an integer from 16 to 1073741823 in units of 8kB, or with a unit: B, kB, MB, GB, TB");
        assertThat(ParameterCheck.accepts(sharedBuffers, ParameterCheck.MEMORY))
                .isEqualTo("an integer from 16 to 1073741823 (in its base unit), or with a unit: B, kB, MB, GB, TB");
        var timeout = new ParameterCheck.Description("INTEGER", "30", "86400");
        assertThat(ParameterCheck.accepts(timeout, "s"))
                .isEqualTo("an integer from 30 to 86400 in units of s, or with a unit: us, ms, s, min, h, d");
        assertThat(ParameterCheck.accepts(new ParameterCheck.Description("BOOLEAN", "", ""), "")).isEqualTo("on or off");
        assertThat(ParameterCheck.accepts(new ParameterCheck.Description("ENUM", "", ""), ""))
                .as("the server's hint lists the values").isNull();
        assertThat(ParameterCheck.accepts(null, "")).isNull();
    }
}
