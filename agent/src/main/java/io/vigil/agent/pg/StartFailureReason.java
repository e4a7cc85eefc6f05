package io.vigil.agent.pg;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Why Postgres would not start, read from the lines its log got during the attempt. */
final class StartFailureReason {

    private static final Pattern LINE = Pattern.compile("(?:^|\\s)(LOG|WARNING|ERROR|FATAL|PANIC):\\s+(.*)$");
    private static final int MAX_MESSAGES = 3;

    private StartFailureReason() {
    }

    /** The last few FATAL/PANIC messages and "could not ..." complaints, joined; empty when there are none. */
    static String from(String logText) {
        Set<String> found = new LinkedHashSet<>();
        for (String line : logText.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.find()) continue;
            String severity = m.group(1);
            String message = m.group(2).strip();
            if (severity.equals("FATAL") || severity.equals("PANIC") || message.startsWith("could not")) {
                found.remove(message);
                found.add(message);
            }
        }
        List<String> messages = new ArrayList<>(found);
        return String.join("; ", messages.subList(Math.max(0, messages.size() - MAX_MESSAGES), messages.size()));
    }
}
