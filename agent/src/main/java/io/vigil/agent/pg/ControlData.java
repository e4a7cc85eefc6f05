package io.vigil.agent.pg;

import io.vigil.cluster.Lsn;
import java.util.HashMap;
import java.util.Map;

/** The parts of pg_controldata's output the agent needs while Postgres is stopped. */
record ControlData(String state, String systemId, long timeline, Lsn checkpoint, Lsn minRecoveryEnd) {

    static ControlData parse(String output) {
        Map<String, String> m = new HashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) m.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
        long tli = parseLong(m.get("Latest checkpoint's TimeLineID"));
        long minTli = parseLong(m.get("Min recovery ending loc's timeline"));
        return new ControlData(m.getOrDefault("Database cluster state", "unknown"),
                m.get("Database system identifier"),
                Math.max(tli, minTli),
                Lsn.parseOrNull(m.get("Latest checkpoint location")),
                Lsn.parseOrNull(m.get("Minimum recovery ending location")));
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Was this data directory a standby when it last ran? */
    boolean wasStandby() {
        return state.contains("recovery");
    }

    /** The furthest WAL position known to be in this data directory. */
    Lsn position() {
        return Lsn.max(checkpoint, minRecoveryEnd);
    }
}
