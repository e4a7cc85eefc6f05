package io.vigil.cluster;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a member's Postgres runs as, as its member key says it (Patroni's words in JSON). */
public enum MemberRole {
    PRIMARY("primary"),
    REPLICA("replica"),
    /** A primary that lost the key and is on its way to stopping. */
    DEMOTING("demoting"),
    /** Not running, or not answering yet. */
    UNINITIALIZED("uninitialized"),
    /** A word this version does not know. */
    UNKNOWN("unknown");

    private final String word;

    MemberRole(String word) {
        this.word = word;
    }

    /** Patroni's word; "master" (Patroni 3's) reads as primary. */
    @JsonCreator
    public static MemberRole of(String word) {
        if ("master".equals(word)) return PRIMARY;
        for (MemberRole r : values()) {
            if (r.word.equals(word)) return r;
        }
        return UNKNOWN;
    }

    @JsonValue
    @Override
    public String toString() {
        return word;
    }
}
