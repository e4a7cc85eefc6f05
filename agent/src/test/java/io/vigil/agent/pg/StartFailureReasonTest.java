package io.vigil.agent.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StartFailureReasonTest {

    @Test
    void portInUseNamesTheBindFailureAndTheFatal() {
        String log = """
                2026-11-28 03:26:11.171 UTC [18000] LOG:  starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64
                2026-11-28 03:26:11.171 UTC [18000] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use
                2026-11-28 03:26:11.171 UTC [18000] HINT:  Is another postmaster already running on port 26480? If not, wait a few seconds and retry.
                2026-11-28 03:26:11.171 UTC [18000] WARNING:  could not create listen socket for "127.0.0.1"
                2026-11-28 03:26:11.171 UTC [18000] FATAL:  could not create any TCP/IP sockets
                2026-11-28 03:26:11.172 UTC [18000] LOG:  database system is shut down
                """;
        assertThat(StartFailureReason.from(log)).isEqualTo("could not bind IPv4 address \"127.0.0.1\": Address already in use;"
                + " could not create listen socket for \"127.0.0.1\"; could not create any TCP/IP sockets");
    }

    @Test
    void badParameterIsReported() {
        String log = "2026-11-28 04:00:00.000 UTC [1] LOG:  invalid value for parameter \"shared_buffers\": \"lots\"\n"
                + "2026-11-28 04:00:00.000 UTC [1] FATAL:  configuration file \"/d/postgresql.conf\" contains errors\n";
        assertThat(StartFailureReason.from(log)).isEqualTo("configuration file \"/d/postgresql.conf\" contains errors");
    }

    @Test
    void keepsOnlyTheLastThreeDistinctMessages() {
        StringBuilder log = new StringBuilder();
        for (int i = 1; i <= 5; i++) log.append("x [1] FATAL:  problem ").append(i).append('\n');
        log.append("x [1] FATAL:  problem 3\n");
        assertThat(StartFailureReason.from(log.toString())).isEqualTo("problem 4; problem 5; problem 3");
    }

    @Test
    void aCleanLogGivesNothing() {
        assertThat(StartFailureReason.from("x [1] LOG:  database system is ready to accept connections\n")).isEmpty();
        assertThat(StartFailureReason.from("")).isEmpty();
    }
}
