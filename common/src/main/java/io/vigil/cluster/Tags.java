package io.vigil.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Patroni-compatible member tags, published in the member key. */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Tags(
        @JsonProperty("nofailover") boolean noFailover,
        @JsonProperty("noloadbalance") boolean noLoadBalance,
        @JsonProperty("nosync") boolean noSync,
        @JsonProperty("clonefrom") boolean cloneFrom,
        @JsonProperty("failover_priority") Integer failoverPriority,
        @JsonProperty("zone") String zone) {

    public static final Tags NONE = new Tags(false, false, false, false, null, null);

    /** A member may become leader unless tagged nofailover or failover_priority 0. */
    public boolean mayPromote() {
        return !noFailover && (failoverPriority == null || failoverPriority > 0);
    }

    public int priority() {
        return failoverPriority == null ? 1 : failoverPriority;
    }
}
