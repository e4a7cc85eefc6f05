package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfigEditTest {
    private static final String STORED = "{\"ttl\":30,\"loop_wait\":10,\"postgresql\":{\"parameters\":"
            + "{\"max_connections\":100,\"work_mem\":\"4MB\"}}}";

    @Test
    void patchMergesNestedObjectsAndKeepsTheRest() {
        ConfigEdit.Result r = ConfigEdit.patch(STORED, "{\"loop_wait\": 5, \"postgresql\": {\"parameters\": {\"work_mem\": \"8MB\"}}}");
        assertThat(r.settings().loopWait()).isEqualTo(5);
        assertThat(r.settings().ttl()).isEqualTo(30);
        assertThat(r.settings().postgresql().parameters()).containsEntry("work_mem", "8MB")
                .containsEntry("max_connections", 100);
    }

    @Test
    void nullDeletesAKey() {
        ConfigEdit.Result r = ConfigEdit.patch(STORED, "{\"postgresql\": {\"parameters\": {\"work_mem\": null}}}");
        assertThat(r.settings().postgresql().parameters()).doesNotContainKey("work_mem");
        assertThat(r.json()).doesNotContain("work_mem");
    }

    @Test
    void pauseIsACompatibleKey() {
        assertThat(ConfigEdit.patch(STORED, "{\"pause\": true}").settings().paused()).isTrue();
        assertThat(ConfigEdit.patch(STORED, "{\"pause\": null}").settings().paused()).isFalse();
    }

    @Test
    void unknownKeyIsNamed() {
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{\"loop_wiat\": 5}"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("unknown key 'loop_wiat'");
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{\"postgresql\": {\"use_slot\": true}}"))
                .hasMessageStartingWith("unknown key 'postgresql.use_slot'");
    }

    @Test
    void wrongTypeIsNamed() {
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{\"ttl\": \"soon\"}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'ttl'");
    }

    @Test
    void timingRuleIsCheckedOnTheMergedResult() {
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{\"ttl\": 12}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must not exceed ttl (12)");
    }

    @Test
    void parametersVigilSetsItselfAreRefused() {
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{\"postgresql\": {\"parameters\": {\"port\": 6000}}}"))
                .hasMessageContaining("postgresql.parameters.port is set by Vigil");
    }

    @Test
    void bodyMustBeAnObject() {
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "[1]")).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> ConfigEdit.patch(STORED, "{bad")).hasMessageStartingWith("invalid JSON");
        assertThatThrownBy(() -> ConfigEdit.replace("")).hasMessageContaining("empty");
    }

    @Test
    void replaceDropsWhatIsNotGiven() {
        ConfigEdit.Result r = ConfigEdit.replace("{\"ttl\": 20, \"loop_wait\": 4, \"retry_timeout\": 4}");
        assertThat(r.settings().postgresql().parameters()).isEmpty();
        assertThat(r.settings().ttl()).isEqualTo(20);
    }

    @Test
    void changesNameEveryKeyAPutSendsBackToItsDefault() {
        ClusterSettings before = ConfigEdit.patch("{}", "{\"ttl\": 20, \"loop_wait\": 5, \"retry_timeout\": 5,"
                + " \"postgresql\": {\"parameters\": {\"work_mem\": \"7MB\"}}}").settings();
        ClusterSettings after = ConfigEdit.replace("{\"loop_wait\": 5, \"postgresql\": {\"parameters\": {}}}").settings();
        assertThat(ConfigEdit.changes(before, after)).containsExactly("postgresql.parameters.work_mem: 7MB -> (none)",
                "retry_timeout: 5 -> 10", "ttl: 20 -> 30");
        assertThat(ConfigEdit.changes(after, after)).isEmpty();
    }
}
