package io.vigil.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

class LogSetupTest {

    @Test
    void logsOneLinePerEventOnStderrWithTheLibrariesQuiet() {
        LoggerContext context = new LoggerContext();
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        assertThat(setup.configure(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ConsoleAppender<?> out = (ConsoleAppender<?>) root.getAppender("OUT");
        assertThat(out).isNotNull();
        assertThat(out.isStarted()).isTrue();
        assertThat(out.getTarget()).isEqualTo("System.err");
        assertThat(((PatternLayoutEncoder) out.getEncoder()).getPattern()).isEqualTo(LogSetup.PATTERN);
        assertThat(root.getLevel()).isEqualTo(LogSetup.rootLevel(System.getenv("VIGIL_LOG_LEVEL")));
        assertThat(context.getLogger("io.grpc.netty").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.eclipse.jetty.server").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.vigil.agent.ha.HaLoop").getEffectiveLevel()).isEqualTo(root.getLevel());
    }

    @Test
    void vigilLogLevelNamesTheRootLevelAndAnythingElseMeansInfo() {
        assertThat(LogSetup.rootLevel(null)).isEqualTo(Level.INFO);
        assertThat(LogSetup.rootLevel(" ")).isEqualTo(Level.INFO);
        assertThat(LogSetup.rootLevel("debug")).isEqualTo(Level.DEBUG);
        assertThat(LogSetup.rootLevel(" WARN ")).isEqualTo(Level.WARN);
        assertThat(LogSetup.rootLevel("verbose")).isEqualTo(Level.INFO);
    }

    @Test
    void aLogbackConfigurationFileTakesOver() {
        LoggerContext context = new LoggerContext();
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        System.setProperty("logback.configurationFile", "/etc/vigil/logback.xml");
        try {
            assertThat(setup.configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("OUT")).isNull();
        } finally {
            System.clearProperty("logback.configurationFile");
        }
    }

    @Test
    void logTypeJsonWritesOneJsonObjectPerLine() throws Exception {
        java.io.PrintStream before = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            LoggerContext context = new LoggerContext();
            context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());   // as the service provider sets it
            LogSetup setup = new LogSetup();
            setup.setContext(context);
            setup.configure(context);
            assertThat(LogSetup.useJson(context)).isTrue();
            context.getLogger("io.vigil.agent.ha.HaLoop").warn("decision: {}", "promote \"node2\"");
        } finally {
            System.setErr(before);
        }
        String[] lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines).hasSize(1);
        com.fasterxml.jackson.databind.JsonNode event = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[0]);
        assertThat(event.path("level").asText()).isEqualTo("WARN");
        assertThat(event.path("loggerName").asText()).isEqualTo("io.vigil.agent.ha.HaLoop");
        assertThat(event.path("formattedMessage").asText()).isEqualTo("decision: promote \"node2\"");
    }

    @Test
    void logTypeJsonStandsAsideForALogbackFile() {
        assertThat(LogSetup.useJson(new LoggerContext())).as("no appender of ours to switch").isFalse();
    }
}
