package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.pg.PostmasterDeathWatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The postmaster watch against a real, lone Postgres: it blocks on an idle backend, which dies with its postmaster. */
class PostmasterDeathWatchIT {
    private static final String PG_BIN = "/usr/lib/postgresql/15/bin/";
    private static final long HOUR_MS = 3_600_000;
    private Path root;
    private int port;
    private PostmasterDeathWatch watch;

    @BeforeEach
    void startPostgres() throws Exception {
        root = Leftovers.newDirectory();
        Processes.chownToPgUser(root);
        port = EtcdServer.freePort();
        assertThat(Processes.run(Processes.asPgUser(List.of(PG_BIN + "initdb", "-D", data().toString(),
                "-U", "postgres", "-A", "trust")))).isZero();
        startPostmaster();
    }

    private Path data() {
        return root.resolve("data");
    }

    private void startPostmaster() {
        assertThat(Processes.run(Processes.asPgUser(List.of(PG_BIN + "pg_ctl", "start", "-w", "-D", data().toString(),
                "-l", root.resolve("pg.log").toString(), "-o",
                "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1")))).isZero();
    }

    private Long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(data().resolve("postmaster.pid")).get(0).strip());
        } catch (Exception e) {
            return null;
        }
    }

    private Connection idleConnection() throws java.sql.SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("socketTimeout", "5");
        Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        c.setNetworkTimeout(Runnable::run, 0);
        return c;
    }

    /** Runs one {@code await} (with an hour-long poll interval) on its own thread. */
    private Thread awaitInBackground(boolean postmasterAlive) {
        Thread t = new Thread(() -> watch.await(postmasterAlive), "await");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @AfterEach
    void stop() throws Exception {
        if (watch != null) watch.close();
        Long pid = postmasterPid();
        if (pid != null) Processes.signal(pid, "KILL");
        for (Long orphan : Processes.processesIn(root)) Processes.signal(orphan, "KILL");
        Processes.run(List.of("rm", "-rf", root.toString()));
    }

    @Test
    void returnsWhenThePostmasterIsKilledAndNotBefore() {
        watch = new PostmasterDeathWatch(this::idleConnection, System::nanoTime, HOUR_MS, HOUR_MS);
        Thread waiting = awaitInBackground(true);
        Awaitility.await("watching an idle connection").atMost(Duration.ofSeconds(10)).until(watch::watching);
        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(waiting::isAlive);

        Processes.signal(postmasterPid(), "KILL");

        // the poll interval is an hour: only the broken connection can end the wait
        Awaitility.await("await returns after the kill").atMost(Duration.ofSeconds(10)).until(() -> !waiting.isAlive());
        assertThat(watch.watching()).isFalse();
    }

    @Test
    void closeEndsAWaitAtOnce() {
        watch = new PostmasterDeathWatch(this::idleConnection, System::nanoTime, HOUR_MS, HOUR_MS);
        Thread waiting = awaitInBackground(true);
        Awaitility.await("watching an idle connection").atMost(Duration.ofSeconds(10)).until(watch::watching);

        watch.close();

        Awaitility.await("await returns after close").atMost(Duration.ofSeconds(10)).until(() -> !waiting.isAlive());
        assertThat(postmasterPid()).isNotNull();   // Postgres itself untouched
    }

    @Test
    void withoutPostgresItPollsAndConnectsOnceItIsBack() throws Exception {
        assertThat(Processes.run(Processes.asPgUser(List.of(PG_BIN + "pg_ctl", "stop", "-m", "fast", "-w", "-D",
                data().toString())))).isZero();
        watch = new PostmasterDeathWatch(this::idleConnection, System::nanoTime, 50, 0);

        watch.await(true);   // believed alive, but nothing answers: one poll interval, no connection
        assertThat(watch.watching()).isFalse();

        startPostmaster();
        Thread waiting = awaitInBackground(true);
        Awaitility.await("connected again").atMost(Duration.ofSeconds(10)).until(watch::watching);
        assertThat(waiting.isAlive()).isTrue();
    }
}
