package io.vigil.agent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;

/**
 * The agent's logging, set up in code: one line per event on stderr (stdout belongs to the output of
 * vigil commands such as a JSON list), the root level from {@code VIGIL_LOG_LEVEL} (default INFO), the
 * libraries at WARN. Found by logback as a service; it stands aside for a logback configuration file
 * ({@code -Dlogback.configurationFile=...}, or a logback.xml / logback-test.xml on the class path).
 * Not parsing XML keeps about 350 classes (logback's Joran and the JDK's XML parser) out of the agent.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";
    private static final List<String> QUIET_LIBRARIES =
            List.of("io.grpc", "io.netty", "io.vertx", "io.etcd", "org.eclipse.jetty", "io.javalin");

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null
                || LogSetup.class.getClassLoader().getResource("logback.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
        out.setContext(context);
        out.setName("OUT");
        out.setTarget("System.err");
        out.setEncoder(encoder);
        out.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(out);
        String wanted = System.getenv("VIGIL_LOG_LEVEL");
        Level level = rootLevel(wanted);
        root.setLevel(level);
        for (String library : QUIET_LIBRARIES) context.getLogger(library).setLevel(Level.WARN);
        if (wanted != null && !wanted.isBlank() && !level.levelStr.equalsIgnoreCase(wanted.strip())) {
            root.warn("VIGIL_LOG_LEVEL={} is not a log level (TRACE, DEBUG, INFO, WARN, ERROR, OFF); logging at INFO",
                    wanted);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Switches the agent's log lines to one JSON object per line (log.type: json), through logback's own
     * {@code JsonEncoder}. False when logging was configured by a logback file, which then decides.
     */
    public static boolean useJson() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context && useJson(context);
    }

    static boolean useJson(LoggerContext context) {
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender("OUT") instanceof ConsoleAppender<ILoggingEvent> out)) return false;
        ch.qos.logback.classic.encoder.JsonEncoder json = new ch.qos.logback.classic.encoder.JsonEncoder();
        json.setContext(context);
        json.setWithFormattedMessage(true);   // the message as the plain line shows it, arguments filled in
        json.setWithMessage(false);
        json.setWithArguments(false);
        json.setWithContext(false);
        json.setWithMDC(false);               // the agent sets no MDC
        json.start();
        out.stop();
        out.setEncoder(json);
        out.start();
        return true;
    }

    /** The root level named by {@code VIGIL_LOG_LEVEL}; INFO when unset or not a level. */
    static Level rootLevel(String wanted) {
        return wanted == null ? Level.INFO : Level.toLevel(wanted.strip(), Level.INFO);
    }
}
