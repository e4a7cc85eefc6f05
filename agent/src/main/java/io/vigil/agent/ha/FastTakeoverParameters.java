package io.vigil.agent.ha;

import io.vigil.config.ClusterSettings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What fast takeover asks of Postgres: a replica whose leader froze must see its stream end within
 * seconds, so wal_receiver_timeout is 2 s (the receiver asks the walsender for a reply after 1 s of
 * silence, which a live primary answers at once). A value set in the cluster's parameters wins.
 */
final class FastTakeoverParameters {
    static final String RECEIVER_TIMEOUT = "2s";

    private FastTakeoverParameters() {
    }

    static Map<String, Object> apply(ClusterSettings s, Map<String, Object> parameters) {
        if (!s.fastTakeoverOn() || parameters.containsKey("wal_receiver_timeout")) return parameters;
        Map<String, Object> p = new LinkedHashMap<>(parameters);
        p.put("wal_receiver_timeout", RECEIVER_TIMEOUT);
        return p;
    }
}
