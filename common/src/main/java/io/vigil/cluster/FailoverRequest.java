package io.vigil.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A planned switchover or manual failover, in the {@code failover} key (Patroni's field names).
 * {@code leader} is null for a manual failover; {@code member} is the candidate.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FailoverRequest(
        @JsonProperty("leader") String leader,
        @JsonProperty("member") String member,
        @JsonProperty("scheduled_at") String scheduledAt) {

    public boolean isSwitchover() {
        return leader != null;
    }
}
