package io.vigil.agent;

import io.vigil.agent.ha.HaLoop;
import io.vigil.agent.metrics.Metrics;
import io.vigil.agent.peers.PeerClient;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.agent.rest.RestApi;
import io.vigil.config.AgentConfig;
import io.vigil.config.ConfigException;
import io.vigil.config.ConfigLoader;
import io.vigil.store.EtcdStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code vigil} command. */
@Command(name = "vigil", mixinStandardHelpOptions = true, version = "vigil " + HaLoop.VERSION,
        description = "High-availability agent for PostgreSQL.",
        subcommands = {Main.Agent.class, Main.CheckConfig.class, Warmup.class,
            io.vigil.agent.cli.ViewCommands.ListCommand.class, io.vigil.agent.cli.ViewCommands.TopologyCommand.class,
            io.vigil.agent.cli.ViewCommands.HistoryCommand.class, io.vigil.agent.cli.ViewCommands.ShowConfigCommand.class,
            io.vigil.agent.cli.ActionCommands.Switchover.class, io.vigil.agent.cli.ActionCommands.Failover.class,
            io.vigil.agent.cli.ActionCommands.Restart.class, io.vigil.agent.cli.ActionCommands.Reinit.class,
            io.vigil.agent.cli.ActionCommands.Reload.class, io.vigil.agent.cli.ActionCommands.Pause.class,
            io.vigil.agent.cli.ActionCommands.Resume.class, io.vigil.agent.cli.ActionCommands.EditConfig.class,
            io.vigil.agent.cli.Drill.class})
public final class Main implements Callable<Integer> {

    public static void main(String[] args) {
        libraryDefaults();
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    /** The vigil command with its subcommands; each takes -h/--help (and -V/--version), as patronictl's do. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.getSubcommands().values().forEach(sub -> sub.getCommandSpec().mixinStandardHelpOptions(true));
        return cl;
    }

    /** System properties that keep the libraries small, unless the operator gave them (also bench/FootprintParts). */
    public static void libraryDefaults() {
        // jetcd's Vert.x would leave an empty /tmp/vertx-cache-* directory behind on every agent start
        defaultProperty("vertx.disableFileCPResolving", "true");
        // Jetty would start the JMX platform server (about 700 classes, several MB) only to learn whether
        // object references are compressed; under the agent's heap cap (-Xmx96m) they are: 64-byte line / 4
        defaultProperty("org.eclipse.jetty.util.referencesPerCacheLine", "16");
        // Netty's pools (gRPC's too) keep megabytes of direct memory for a few small etcd messages a second
        defaultProperty("io.netty.allocator.type", "unpooled");
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) System.setProperty(name, value);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.err);
        return 2;
    }

    static AgentConfig loadConfig(Path file, boolean checkFileSystem) {
        return new ConfigLoader(System.getenv(), checkFileSystem).load(file);
    }

    private static boolean portFree(AgentConfig cfg) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(cfg.restListen().host(), cfg.restListen().port()));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Command(name = "check-config", description = "Validate a node config file and exit.")
    static final class CheckConfig implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "node config file (YAML)")
        Path config;

        @Override
        public Integer call() {
            AgentConfig cfg;
            try {
                cfg = loadConfig(config, false);
            } catch (ConfigException e) {
                System.err.println("invalid configuration:\n" + e.getMessage());
                return 1;
            }
            List<String> scripts = new java.util.ArrayList<>();
            cfg.callbacks().forEach((name, words) -> {
                String why = io.vigil.config.ConfigLoader.notExecutable(words.get(0));
                if (why != null) scripts.add("postgresql.callbacks." + name + ": " + why);
            });
            if (!scripts.isEmpty()) {
                System.err.println("invalid configuration:\n" + String.join("\n", scripts));
                return 1;
            }
            if (!java.nio.file.Files.isExecutable(cfg.binDir().resolve("postgres"))) {
                System.out.println(config + ": valid (scope " + cfg.scope() + ", node " + cfg.name() + "); parameter"
                        + " values not checked: no postgres in postgresql.bin_dir " + cfg.binDir() + " on this host");
                return 0;
            }
            List<String> refused = new java.util.ArrayList<>();
            try {
                PostgresControl pg = new PostgresControl(cfg);
                pg.parameterProblems(cfg.localParameters()).forEach((name, why) -> refused.add("postgresql.parameters."
                        + name + " = '" + cfg.localParameters().get(name) + "' is refused: " + why));
                Map<String, Object> seed = cfg.bootstrapSettings().postgresql().parameters();
                pg.parameterProblems(seed).forEach((name, why) -> refused.add("bootstrap.dcs.postgresql.parameters."
                        + name + " = '" + seed.get(name) + "' is refused: " + why));
            } catch (io.vigil.agent.pg.PostgresException e) {
                System.err.println("invalid configuration:\n" + e.getMessage() + " (postgresql.bin_dir " + cfg.binDir()
                        + ")");
                return 1;
            }
            if (!refused.isEmpty()) {
                System.err.println("invalid configuration:\n" + String.join("\n", refused));
                return 1;
            }
            System.out.println(config + ": valid (scope " + cfg.scope() + ", node " + cfg.name() + "; Postgres takes"
                    + " every parameter value)");
            return 0;
        }
    }

    @Command(name = "agent", description = "Run the HA agent beside this node's Postgres.")
    static final class Agent implements Callable<Integer> {
        private static final Logger log = LoggerFactory.getLogger("vigil");

        @Option(names = {"-c", "--config"}, required = true, description = "node config file (YAML)")
        Path config;

        @Override
        public Integer call() throws InterruptedException {
            if (new com.sun.security.auth.module.UnixSystem().getUid() == 0) {
                System.err.println("vigil agent must not run as root: PostgreSQL refuses to. Run it as the user that"
                        + " owns the data directory, e.g. runuser -u postgres -- vigil agent -c " + config);
                return 1;
            }
            AgentConfig cfg;
            try {
                cfg = loadConfig(config, true);
            } catch (ConfigException e) {
                System.err.println("invalid configuration, nothing started:\n" + e.getMessage());
                return 1;
            }
            if (cfg.jsonLogs() && !LogSetup.useJson()) {
                log.warn("log.type json is not applied: logging is configured by a logback file, which decides the format");
            }
            if (!portFree(cfg)) {
                System.err.println("cannot start the REST API: " + cfg.restListen() + " is in use by another process;"
                        + " stop it or change restapi.listen");
                return 1;
            }
            // The HA loop and the REST API start side by side: the loop does not need the API to act.
            Duration callTimeout = cfg.bootstrapSettings().retryTimeoutDuration();
            java.util.concurrent.atomic.AtomicReference<HaLoop> loopRef = new java.util.concurrent.atomic.AtomicReference<>();
            Metrics metrics = new Metrics(cfg.scope(), cfg.name(),
                    () -> loopRef.get() == null ? null : loopRef.get().status(), System::nanoTime);
            CompletableFuture<HaLoop> loopReady = CompletableFuture.supplyAsync(() -> {
                EtcdStore store = EtcdStore.connect(cfg, callTimeout);
                HaLoop l = new HaLoop(cfg, store, new PostgresControl(cfg), new PeerClient(Duration.ofMillis(1000),
                        cfg.restCaFile() == null ? null : Path.of(cfg.restCaFile()), cfg.restCertFile() != null),
                        System::nanoTime, metrics, () -> loadConfig(config, true), store);
                loopRef.set(l);
                l.start();
                return l;
            });
            RestApi api = new RestApi(cfg, () -> loopReady.isDone() && !loopReady.isCompletedExceptionally()
                    ? loopReady.join().status() : null, System::nanoTime, new LoopHandle(loopReady), metrics::scrape);
            try {
                api.start();
            } catch (RuntimeException e) {
                System.err.println("cannot start the REST API on " + cfg.restListen() + ": " + e.getMessage());
            }
            HaLoop loop;
            try {
                loop = loopReady.join();
            } catch (RuntimeException e) {
                System.err.println("cannot start the HA loop: " + e.getMessage());
                api.close();
                return 1;
            }
            log.info("vigil {} started: scope {}, node {}, etcd {}, REST on {}", HaLoop.VERSION, cfg.scope(),
                    cfg.name(), cfg.etcdEndpoints(), cfg.restListen());
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("shutting down");
                loop.close();
                api.close();
                log.info("stopped");
                stopped.countDown();
            }, "vigil-shutdown"));
            stopped.await();
            return 0;
        }
    }
}
