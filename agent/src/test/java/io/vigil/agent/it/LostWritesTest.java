package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LostWritesTest {
    private static final long MB = 1 << 20;
    private static final Map<Long, Long> FORKS = LostWrites.parseHistory("""
            1\t0/3000060\tno recovery target specified

            2\t0/5A00000\tno recovery target specified
            """);

    private static Writer.Ack ack(long id, long timeline, long lsn) {
        return new Writer.Ack(id, 0, timeline, lsn);
    }

    @Test
    void readsEveryTimelineAndWhereItEnded() {
        assertThat(FORKS).containsExactly(Map.entry(1L, 0x3000060L), Map.entry(2L, 0x5A00000L));
        assertThat(LostWrites.parseHistory("")).isEmpty();
        assertThatThrownBy(() -> LostWrites.parseHistory("1 garbage")).hasMessageContaining("not an LSN");
    }

    @Test
    void measuresTheFurthestMissingCommitPastItsTimelinesFork() {
        LostWrites.Verdict v = LostWrites.judge(List.of(ack(7, 1, 0x3000060L + 300), ack(9, 2, 0x5A00000L + 4096)), FORKS, 3);
        assertThat(v.violations()).isEmpty();
        assertThat(v.bytesPastFork()).isEqualTo(4096);
        assertThat(v.holds(MB)).isTrue();
        assertThat(v.holds(4095)).isFalse();
    }

    @Test
    void anInsertJustBeforeTheForkCountsAsNothingPastIt() {
        LostWrites.Verdict v = LostWrites.judge(List.of(ack(7, 2, 0x5A00000L - 120)), FORKS, 3);
        assertThat(v.bytesPastFork()).isZero();
        assertThat(v.holds(0)).isTrue();
    }

    @Test
    void aCommitMissingFromThePrimarysOwnTimelineOrFromADroppedTimelineIsAViolation() {
        LostWrites.Verdict own = LostWrites.judge(List.of(ack(11, 3, 0x6000000L)), FORKS, 3);
        assertThat(own.violations()).singleElement().asString().contains("commit 11", "own timeline 3");
        assertThat(own.holds(Long.MAX_VALUE)).isFalse();
        LostWrites.Verdict dropped = LostWrites.judge(List.of(ack(12, 4, 0x6000000L)), FORKS, 3);
        assertThat(dropped.violations()).singleElement().asString().contains("timeline 4", "not in the primary's history");
    }

    @Test
    void nothingMissingHolds() {
        assertThat(LostWrites.judge(List.of(), Map.of(), 1).holds(0)).isTrue();
    }
}
