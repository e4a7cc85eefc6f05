package io.vigil.cluster;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The state of a member's Postgres, as its member key says it (Patroni's words in JSON). */
public enum MemberState {
    /** Answers queries (a primary, or a replica without a streaming WAL receiver). */
    RUNNING("running"),
    /** A replica whose WAL receiver streams. */
    STREAMING("streaming"),
    /** Started, not answering yet. */
    STARTING("starting"),
    STOPPED("stopped"),
    /** No data directory yet. */
    UNINITIALIZED("uninitialized"),
    /** A word this version does not know. */
    UNKNOWN("unknown");

    private final String word;

    MemberState(String word) {
        this.word = word;
    }

    @JsonCreator
    public static MemberState of(String word) {
        for (MemberState s : values()) {
            if (s.word.equals(word)) return s;
        }
        return UNKNOWN;
    }

    @JsonValue
    @Override
    public String toString() {
        return word;
    }
}
