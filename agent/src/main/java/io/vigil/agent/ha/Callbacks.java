package io.vigil.agent.ha;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni's callbacks ({@code postgresql.callbacks}): the operator's command, run as
 * {@code command ACTION ROLE SCOPE} once Postgres has started, stopped, restarted, reloaded or changed
 * role. They run beside the loop, never holding it up: one at a time, a new one ending the one still
 * running (and its children), with {@code on_reload} apart, as Patroni does, and none longer than
 * postgresql.callback_timeout. Their output and exit status go to the agent log; no secret of this node
 * is in their environment. Roles are Patroni 4's: {@code primary}, {@code replica}.
 */
final class Callbacks {
    private static final Logger log = LoggerFactory.getLogger(Callbacks.class);
    static final String PRIMARY = "primary";
    static final String REPLICA = "replica";

    private final String scope;
    private final java.time.Duration timeout;
    private final java.util.Set<String> secrets;
    private volatile Map<String, List<String>> commands;
    /** The role Postgres was last started or promoted with (null: not since the agent started). */
    private volatile String lastRole;
    private Process running;
    private Process runningReload;

    /** {@code secrets}: values no callback's environment may carry. */
    Callbacks(String scope, Map<String, List<String>> commands, java.time.Duration timeout, java.util.Set<String> secrets) {
        this.scope = scope;
        this.commands = Map.copyOf(commands);
        this.timeout = timeout;
        this.secrets = java.util.Set.copyOf(secrets);
    }

    /** Takes the callbacks of a re-read node config. */
    void commands(Map<String, List<String>> fresh) {
        commands = Map.copyOf(fresh);
    }

    /** Postgres seen running as {@code role} without this agent starting it (adopted at agent start). */
    void seen(String role) {
        if (lastRole == null) lastRole = role;
    }

    /** Postgres started as {@code role}: on_start, or on_role_change when it last ran as the other role. */
    void started(String role) {
        String before = lastRole;
        lastRole = role;
        call(before != null && !before.equals(role) ? "on_role_change" : "on_start", role);
    }

    /** Postgres was promoted. */
    void promoted() {
        lastRole = PRIMARY;
        call("on_role_change", PRIMARY);
    }

    void restarted(String role) {
        lastRole = role;
        call("on_restart", role);
    }

    void reloaded(String role) {
        call("on_reload", role);
    }

    /** The agent stopped Postgres for good (its own shutdown). */
    void stopped() {
        if (lastRole != null) call("on_stop", lastRole);
    }

    private synchronized void call(String action, String role) {
        List<String> command = commands.get(action);
        if (command == null) return;
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of(action, role, scope));
        boolean reload = action.equals("on_reload");
        end(reload ? runningReload : running);
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true);
            pb.environment().values().removeIf(secrets::contains);
            p = pb.start();
        } catch (IOException e) {
            log.warn("callback {} could not start: {}", String.join(" ", cmd), e.getMessage());
            return;
        }
        log.info("callback {} started (pid {})", String.join(" ", cmd), p.pid());
        Process started = p;
        Thread output = new Thread(() -> logOutput(action, started), "vigil-callback-" + p.pid());
        output.setDaemon(true);
        output.start();
        java.util.concurrent.CompletableFuture.delayedExecutor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> {
                    if (started.isAlive()) {
                        log.warn("callback {} {} still running after {} s (callback_timeout): killed", action, role,
                                timeout.toSeconds());
                        end(started);
                    }
                });
        p.onExit().thenAccept(done -> {
            if (done.exitValue() != 0) log.warn("callback {} {} exited with status {}", action, role, done.exitValue());
            else log.info("callback {} {} done", action, role);
        });
        if (reload) runningReload = p;
        else running = p;
    }

    /** Each line the callback prints goes to the agent log. */
    private static void logOutput(String action, Process p) {
        try (java.io.BufferedReader r = p.inputReader()) {
            for (String line = r.readLine(); line != null; line = r.readLine()) log.info("callback {}: {}", action, line);
        } catch (IOException e) {
            log.debug("callback {} output: {}", action, e.toString());
        }
    }

    /** Ends a callback still running, with its children. */
    private static void end(Process p) {
        if (p == null || !p.isAlive()) return;
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        log.info("callback (pid {}) ended", p.pid());
    }
}
