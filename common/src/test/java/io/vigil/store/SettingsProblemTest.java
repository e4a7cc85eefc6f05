package io.vigil.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A config key written by another tool (patronictl, etcdctl) is taken only when it makes valid settings. */
class SettingsProblemTest {
    @Test
    void validSettingsHaveNoProblem() {
        assertThat(EtcdStore.settingsProblem("{\"ttl\":30,\"loop_wait\":10,\"retry_timeout\":10}")).isNull();
    }

    @Test
    void aBrokenTimingRuleIsNamed() {
        assertThat(EtcdStore.settingsProblem("{\"ttl\":10,\"loop_wait\":50,\"retry_timeout\":3}")).contains("loop_wait");
    }

    @Test
    void anUnknownKeyOrUnreadableJsonIsNamed() {
        assertThat(EtcdStore.settingsProblem("{\"ttl\":30,\"master_start_timeout\":300}")).contains("master_start_timeout");
        assertThat(EtcdStore.settingsProblem("{not json")).isNotNull();
    }
}
