package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A replication slot in the cluster config's {@code slots:} (Patroni's permanent slots): kept on the
 * leader and on every member that may take over, so that a consumer finds it after a failover.
 * {@code type} defaults to physical.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PermanentSlot(@JsonProperty("type") String type,
                            @JsonProperty("database") String database,
                            @JsonProperty("plugin") String plugin) {

    public static final PermanentSlot PHYSICAL = new PermanentSlot("physical", null, null);
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");

    public PermanentSlot {
        type = type == null ? "physical" : type;
    }

    public boolean physical() {
        return "physical".equals(type);
    }

    /** Every problem with these slot definitions, each naming its key under {@code prefix}. */
    static List<String> problems(String prefix, Map<String, PermanentSlot> slots) {
        List<String> out = new ArrayList<>();
        slots.forEach((name, s) -> {
            String key = prefix + "slots." + name;
            if (!NAME.matcher(name).matches()) {
                out.add(key + ": a slot name takes 1 to 63 lower-case letters, digits and underscores");
            }
            if ("logical".equals(s.type())) {
                out.add(key + ": logical permanent slots are not supported yet (they would not survive a failover);"
                        + " create the slot on the primary yourself and list it in ignore_slots");
            } else if (!s.physical()) {
                out.add(key + ".type is '" + s.type() + "'; it must be physical");
            } else if (s.database() != null || s.plugin() != null) {
                out.add(key + ": database and plugin belong to logical slots; remove them from a physical slot");
            }
        });
        return out;
    }

    /**
     * A slot made by another tool that Vigil must never drop (Patroni's {@code ignore_slots}): it matches
     * every slot whose given fields are equal; a field left out matches anything.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ignored(@JsonProperty("name") String name,
                          @JsonProperty("type") String type,
                          @JsonProperty("database") String database,
                          @JsonProperty("plugin") String plugin) {

        /** Whether a physical slot named {@code slot} matches. */
        public boolean matchesPhysical(String slot) {
            return (name == null || name.equals(slot)) && (type == null || type.equals("physical"))
                    && database == null && plugin == null;
        }

        static List<String> problems(String prefix, List<Ignored> ignored) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < ignored.size(); i++) {
                Ignored x = ignored.get(i);
                if (x == null || (x.name() == null && x.type() == null && x.database() == null && x.plugin() == null)) {
                    out.add(prefix + "ignore_slots[" + i + "] matches every slot; give at least one of name, type,"
                            + " database, plugin");
                } else if (x.type() != null && !x.type().equals("physical") && !x.type().equals("logical")) {
                    out.add(prefix + "ignore_slots[" + i + "].type is '" + x.type() + "'; it must be physical or logical");
                }
            }
            return out;
        }
    }
}
