package io.vigil.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an agent publishes about its node in {@code members/<name>} every loop.
 * Field names follow Patroni's member key where the concept is the same.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Member(
        @JsonProperty("name") String name,
        @JsonProperty("conn_url") String connUrl,
        @JsonProperty("api_url") String apiUrl,
        @JsonProperty("state") String state,
        @JsonProperty("role") String role,
        @JsonProperty("version") String version,
        @JsonProperty("xlog_location") Long xlogLocation,
        @JsonProperty("receive_lsn") Long receiveLsn,
        @JsonProperty("replay_lsn") Long replayLsn,
        @JsonProperty("timeline") Long timeline,
        @JsonProperty("tags") Tags tags,
        @JsonProperty("upstream") String upstream,
        @JsonProperty("pending_restart") Boolean pendingRestart,
        @JsonProperty("watchdog_failed") Boolean watchdogFailed) {

    public Tags tagsOrNone() {
        return tags == null ? Tags.NONE : tags;
    }

    /** Neither its tags nor a required watchdog that does not work keep this member from promoting. */
    public boolean mayPromote() {
        return tagsOrNone().mayPromote() && !Boolean.TRUE.equals(watchdogFailed);
    }

    /** Host part of conn_url (postgres://host:port/db). */
    public String host() {
        return HostPort.fromUrl(connUrl).host();
    }

    public int port() {
        return HostPort.fromUrl(connUrl).port();
    }
}
