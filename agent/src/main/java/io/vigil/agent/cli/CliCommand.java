package io.vigil.agent.cli;

import io.vigil.config.ConfigException;
import io.vigil.store.StoreException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A `vigil` operator command: exit 0 done, 1 refused or failed (the message says why), 2 usage. */
abstract class CliCommand implements Callable<Integer> {
    @Mixin
    Target target;

    PrintStream out = System.out;
    PrintStream err = System.err;

    abstract int run() throws Exception;

    @Override
    public final Integer call() throws Exception {
        try {
            return run();
        } catch (Target.Problem | ConfigException e) {
            err.println(e.getMessage());
            return 1;
        } catch (StoreException e) {
            err.println("etcd: " + e.getMessage());
            return 1;
        }
    }

    /** Asks on the terminal; without one, the caller must have passed --force. */
    boolean confirm(String question, boolean force) {
        if (force) return true;
        java.io.Console console = System.console();
        if (console == null) {
            throw new Target.Problem(question.replace("?", "") + ": no terminal to ask on; add --force to go ahead");
        }
        String answer = console.readLine("%s [y/N]: ", question);
        return answer != null && (answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"));
    }

    String ask(String question) {
        java.io.Console console = System.console();
        if (console == null) return null;
        String answer = console.readLine("%s: ", question);
        return answer == null || answer.isBlank() ? null : answer.strip();
    }

    RestCall rest() {
        return new RestCall(target.restCaFile(), target.restUser(), target.restPassword());
    }

    /** Prints a REST reply: the body on stdout when it succeeded, on stderr otherwise. */
    int report(RestCall.Reply r) {
        if (r.ok()) {
            out.println(r.body());
            return 0;
        }
        err.println((r.status() > 0 ? r.member() + " answered " + r.status() + ": " : "") + r.body());
        return 1;
    }
}
