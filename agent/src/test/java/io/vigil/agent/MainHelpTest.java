package io.vigil.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every subcommand answers -h and --help with its usage and exit 0, as patronictl's subcommands do. */
class MainHelpTest {
    @Test
    void everySubcommandTakesHelp() {
        CommandLine cl = Main.commandLine();
        assertThat(cl.getSubcommands()).hasSizeGreaterThan(10);
        for (String name : cl.getSubcommands().keySet()) {
            for (String flag : new String[] {"--help", "-h"}) {
                StringWriter out = new StringWriter();
                CommandLine fresh = Main.commandLine();
                fresh.setOut(new PrintWriter(out));
                fresh.setErr(new PrintWriter(new StringWriter()));
                assertThat(fresh.execute(name, flag)).as("vigil %s %s", name, flag).isZero();
                assertThat(out.toString()).as("vigil %s %s", name, flag).startsWith("Usage: vigil " + name);
            }
        }
    }
}
