package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class EpochTextTest {
    @Test
    void extractEpochTextIsReadToTheMicrosecond() {
        assertThat(PostgresControl.epoch("1795708011.623095")).isEqualTo(Instant.parse("2026-11-26T15:46:51.623095Z"));
        assertThat(PostgresControl.epoch("1795708011")).isEqualTo(Instant.parse("2026-11-26T15:46:51Z"));
        assertThat(PostgresControl.epoch("-1.5")).isEqualTo(Instant.parse("1969-12-31T23:59:58.500Z"));
        assertThat(PostgresControl.epoch(null)).isNull();
    }
}
