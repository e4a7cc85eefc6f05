package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.config.ClusterSettings;
import io.vigil.config.ConfigEdit;
import io.vigil.config.ConfigException;
import io.vigil.config.PermanentSlot;
import io.vigil.config.Tags;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class SlotRulesTest {
    private static final ClusterSettings WITH_BACKUP_SLOT = settings(Map.of("backup", PermanentSlot.PHYSICAL), List.of());

    @Test
    void theLeaderCreatesAPermanentSlotBesideTheMembersAndPublishesWhereItStands() {
        LocalPostgres pg = withSlots(Fixtures.primary(1, 500), Map.of("n2", 0L));
        Observation o = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), pg), WITH_BACKUP_SLOT, Set.of());
        assertThat(Decider.decide(o).actions()).contains(new Action.SyncSlots(Set.of("n2", "backup"), Set.of("n2", "backup")));

        LocalPostgres made = withSlots(Fixtures.primary(1, 500), Map.of("n2", 0L, "backup", 300L));
        Observation later = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), made), WITH_BACKUP_SLOT, Set.of());
        assertThat(Decider.decide(later).actions()).containsExactly(new Action.RenewLeader(),
                new Action.PublishLeaderPosition(500, Map.of("backup", 300L)));
    }

    @Test
    void aSlotRemovedFromTheConfigIsDroppedUnlessIgnoreSlotsNamesIt() {
        LocalPostgres pg = withSlots(Fixtures.primary(1, 500), Map.of("n2", 0L, "backup", 300L));
        Observation o = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), pg), Fixtures.SETTINGS, Set.of("backup"));
        assertThat(Decider.decide(o).actions()).contains(new Action.SyncSlots(Set.of("n2"), Set.of("n2", "backup")));

        ClusterSettings ignoring = settings(Map.of(), List.of(new PermanentSlot.Ignored("backup", null, null, null)));
        Observation kept = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), pg), ignoring, Set.of("backup"));
        assertThat(Decider.decide(kept).actions()).noneMatch(a -> a instanceof Action.SyncSlots);

        Observation neverOurs = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), pg), Fixtures.SETTINGS, Set.of());
        assertThat(Decider.decide(neverOurs).actions()).noneMatch(a -> a instanceof Action.SyncSlots);
    }

    @Test
    void aReplicaThatMayTakeOverKeepsTheSlotAndAdvancesItToTheLeadersPosition() {
        ClusterView v = withPositions(view("n1", 500, lead("n1", 1), member("me", 1)), Map.of("backup", 400L));
        LocalPostgres missing = Fixtures.replica(1, 500, "n1", true);
        Observation o = settings(obs(v, missing), WITH_BACKUP_SLOT, Set.of());
        assertThat(Decider.decide(o).actions()).containsExactly(new Action.SyncSlots(Set.of("backup"), Set.of("n1", "backup")));

        LocalPostgres behind = withSlots(Fixtures.replica(1, 500, "n1", true), Map.of("backup", 350L));
        assertThat(Decider.decide(settings(obs(v, behind), WITH_BACKUP_SLOT, Set.of())).actions())
                .containsExactly(new Action.AdvanceSlots(Map.of("backup", 400L)));

        LocalPostgres ahead = withSlots(Fixtures.replica(1, 500, "n1", true), Map.of("backup", 450L));
        assertThat(Decider.decide(settings(obs(v, ahead), WITH_BACKUP_SLOT, Set.of())).actions()).isEmpty();

        Observation noFailover = Fixtures.withTags(settings(obs(v, behind), WITH_BACKUP_SLOT, Set.of()),
                new Tags(true, false, false, false, null, null));
        assertThat(Decider.decide(noFailover).actions())
                .containsExactly(new Action.SyncSlots(Set.of(), Set.of("n1", "backup")));
    }

    @Test
    void aPermanentSlotNamedLikeAMembersSlotIsTheMembers() {
        ClusterSettings clash = settings(Map.of("n2", PermanentSlot.PHYSICAL), List.of());
        LocalPostgres pg = withSlots(Fixtures.primary(1, 500), Map.of("n2", 200L));
        Observation o = settings(obs(view("me", 500, lead("me", 1), member("n2", 1)), pg), clash, Set.of());
        assertThat(SlotRules.permanent(o, o.cluster().orElseThrow())).isEmpty();
    }

    @Test
    void badSlotDefinitionsAreRefusedNamingTheKey() {
        assertThat(problem("{\"slots\":{\"Bad-Name\":{\"type\":\"physical\"}}}")).contains("slots.Bad-Name").contains("lower-case");
        assertThat(problem("{\"slots\":{\"s1\":{\"type\":\"physicl\"}}}")).contains("slots.s1.type is 'physicl'");
        assertThat(problem("{\"slots\":{\"s1\":{\"type\":\"logical\",\"database\":\"app\",\"plugin\":\"pgoutput\"}}}"))
                .contains("slots.s1").contains("logical");
        assertThat(problem("{\"slots\":{\"s1\":{\"type\":\"physical\",\"plugin\":\"x\"}}}")).contains("database and plugin");
        assertThat(problem("{\"slots\":{\"s1\":{\"typ\":\"physical\"}}}")).contains("unknown key 'slots.s1.typ'");
        assertThat(problem("{\"ignore_slots\":[{}]}")).contains("ignore_slots[0] matches every slot");
        assertThat(problem("{\"slots\":{\"s1\":null},\"postgresql\":{\"use_slots\":false}}")).contains("use_slots");
        ConfigEdit.Result ok = ConfigEdit.patch("{}", "{\"slots\":{\"s1\":null,\"s2\":{\"type\":\"physical\"}},"
                + "\"ignore_slots\":[{\"name\":\"debezium\",\"type\":\"logical\"}]}");
        assertThat(ok.settings().permanentPhysicalSlots()).containsExactly("s1", "s2");
        assertThat(ok.settings().ignoresPhysical("debezium")).isFalse();
    }

    private static String problem(String patch) {
        return Assertions.catchThrowableOfType(() -> ConfigEdit.patch("{}", patch), ConfigException.class).getMessage();
    }

    private static ClusterSettings settings(Map<String, PermanentSlot> slots, List<PermanentSlot.Ignored> ignored) {
        ClusterSettings s = Fixtures.SETTINGS;
        return new ClusterSettings(s.ttl(), s.loopWait(), s.retryTimeout(), s.maximumLagOnFailover(), s.memberSlotsTtl(),
                s.primaryStartTimeout(), s.postgresql(), s.pause(), s.synchronousMode(), s.synchronousModeStrict(),
                s.synchronousNodeCount(), s.maximumLagOnSyncnode(), s.failsafeMode(), s.checkTimeline(), s.fastTakeover(),
                s.unreachableFor(), slots, ignored);
    }

    private static Observation settings(Observation o, ClusterSettings s, Set<String> permanentSeen) {
        return Fixtures.with(o, w -> {
            w.settings = s;
            w.permanentSlots = permanentSeen;
        });
    }

    private static LocalPostgres withSlots(LocalPostgres p, Map<String, Long> slots) {
        Map<String, Lsn> m = new TreeMap<>();
        slots.forEach((k, v) -> m.put(k, new Lsn(v)));
        return new LocalPostgres(p.hasData(), p.running(), p.accepting(), p.inRecovery(), p.timeline(), p.writeLsn(),
                p.receiveLsn(), p.replayLsn(), p.streaming(), p.upstream(), p.systemId(), p.serverVersion(),
                p.postmasterStartTime(), p.replayLagSeconds(), p.replication(), m, p.pendingRestart(), p.syncStandbyNames());
    }

    private static ClusterView withPositions(ClusterView v, Map<String, Long> positions) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(), v.lastLeaderLsn(),
                v.history(), v.historyRevision(), v.failover(), v.revision(), v.sync(), v.stoppedLeader(), v.settingsProblem(),
                positions);
    }
}
