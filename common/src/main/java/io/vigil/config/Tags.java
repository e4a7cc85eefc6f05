package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Patroni-compatible member tags, published in the member key. */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Tags(
        @JsonProperty("nofailover") Boolean noFailover,
        @JsonProperty("noloadbalance") Boolean noLoadBalance,
        @JsonProperty("nosync") Boolean noSync,
        @JsonProperty("clonefrom") Boolean cloneFrom,
        @JsonProperty("failover_priority") Integer failoverPriority,
        @JsonProperty("zone") String zone,
        @JsonProperty("nostream") Boolean noStream) {

    /** Any tag left out is false (or, for failover_priority and zone, unset). */
    public Tags {
        noFailover = noFailover != null && noFailover;
        noLoadBalance = noLoadBalance != null && noLoadBalance;
        noSync = noSync != null && noSync;
        cloneFrom = cloneFrom != null && cloneFrom;
        noStream = noStream != null && noStream;
    }

    /** Without nostream. */
    public Tags(Boolean noFailover, Boolean noLoadBalance, Boolean noSync, Boolean cloneFrom, Integer failoverPriority,
                String zone) {
        this(noFailover, noLoadBalance, noSync, cloneFrom, failoverPriority, zone, null);
    }

    public static final Tags NONE = new Tags(false, false, false, false, null, null);

    /** A member may become leader unless tagged nofailover or failover_priority 0. */
    public boolean mayPromote() {
        return !noFailover && (failoverPriority == null || failoverPriority > 0);
    }

    public int priority() {
        return failoverPriority == null ? 1 : failoverPriority;
    }
}
