package io.vigil.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LsnTest {
    @ParameterizedTest
    @CsvSource({"0/0,0", "0/3000060,50331744", "16/B374D848,97500059720", "FFFFFFFF/FFFFFFFF,-1"})
    void parsesAndPrintsPostgresForm(String text, long value) {
        assertThat(Lsn.parse(text).value()).isEqualTo(value);
        assertThat(Lsn.parse(text).toString()).isEqualTo(text);
    }

    @Test
    void comparesUnsigned() {
        assertThat(Lsn.parse("FFFFFFFF/0")).isGreaterThan(Lsn.parse("1/0"));
        assertThat(Lsn.parse("1/10").bytesAfter(Lsn.parse("1/0"))).isEqualTo(16);
        assertThat(Lsn.parse("1/0").bytesAfter(Lsn.parse("1/10"))).isZero();
    }

    @Test
    void rejectsGarbage() {
        assertThatThrownBy(() -> Lsn.parse("12345")).hasMessageContaining("not an LSN");
        assertThatThrownBy(() -> Lsn.parse("1/xyz")).hasMessageContaining("not an LSN");
    }
}
