package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.store.EtcdStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fast takeover's etcd transaction against a real etcd: it takes the key only from the leader and
 * the sync key exactly as read, and afterwards the old leader can neither renew nor write the sync key.
 */
class TakeoverTransactionIT {
    private EtcdServer etcd;
    private EtcdStore store;
    private long oldLease;
    private long newLease;

    @BeforeEach
    void start() throws Exception {
        Path dir = Files.createTempDirectory("vigil-takeover-it");
        etcd = new EtcdServer(dir);
        etcd.start();
        store = EtcdStore.connect(etcd.endpoints(), "/vigil/it/", Duration.ofSeconds(5));
        oldLease = store.grantLease(30);
        newLease = store.grantLease(30);
        assertThat(store.acquireLeader("old", oldLease)).isTrue();
        assertThat(store.writeSync("old", Set.of("s"), 0)).isTrue();
    }

    @AfterEach
    void stop() {
        if (store != null) store.close();
        if (etcd != null) etcd.close();
    }

    private boolean takeOver(ClusterView seen) {
        return store.takeOverLeader("s", newLease, "old", seen.leader().orElseThrow().modRevision(), seen.sync().modRevision());
    }

    @Test
    void fromTheKeysAsReadTheStandbyLeadsAndTheOldLeaderCanNoLongerRenewOrWriteTheSyncKey() {
        ClusterView seen = store.read();
        assertThat(takeOver(seen)).isTrue();
        ClusterView after = store.read();
        assertThat(after.leader().orElseThrow().name()).isEqualTo("s");
        assertThat(after.leader().orElseThrow().leaseId()).isEqualTo(newLease);
        assertThat(after.sync().leader()).isEqualTo("s");
        assertThat(after.sync().members()).isEmpty();
        assertThat(store.renewLeader("old", oldLease)).as("the old leader's renewal").isFalse();
        assertThat(store.writeSync("old", Set.of("other"), seen.sync().modRevision()))
                .as("the old leader naming another standby, or going asynchronous").isFalse();
        assertThat(store.writeSync("old", Set.of(), seen.sync().modRevision())).isFalse();
    }

    @Test
    void notWhenTheLeaderKeyMovedSinceTheRead() {
        ClusterView seen = store.read();
        long otherLease = store.grantLease(30);
        assertThat(store.renewLeader("old", otherLease)).isTrue();   // rebound: same name, new revision
        assertThat(takeOver(seen)).isFalse();
        assertThat(store.read().leader().orElseThrow().name()).isEqualTo("old");
    }

    @Test
    void notWhenTheSyncKeyChangedSinceTheRead() {
        ClusterView seen = store.read();
        assertThat(store.writeSync("old", Set.of("s", "t"), seen.sync().modRevision())).isTrue();
        assertThat(takeOver(seen)).isFalse();
        assertThat(store.read().leader().orElseThrow().name()).isEqualTo("old");
        assertThat(store.read().sync().members()).containsExactlyInAnyOrder("s", "t");
    }

    @Test
    void notFromALeaderOtherThanTheOneRead() {
        ClusterView seen = store.read();
        assertThat(store.takeOverLeader("s", newLease, "someone-else", seen.leader().orElseThrow().modRevision(),
                seen.sync().modRevision())).isFalse();
        assertThat(store.read().leader().orElseThrow().name()).isEqualTo("old");
    }
}
