package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ParameterGuardTest {
    private final ParameterGuard guard = new ParameterGuard();
    private final List<Map<String, Object>> checked = new ArrayList<>();

    /** A check that refuses "banana" and "lots", recording what it was asked. */
    private final Function<Map<String, Object>, Map<String, String>> server = p -> {
        checked.add(p);
        Map<String, String> refused = new LinkedHashMap<>();
        p.forEach((k, v) -> {
            if (v.equals("banana") || v.equals("lots")) refused.put(k, "invalid value for parameter \"" + k + "\"");
        });
        return refused;
    };

    private static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void aRefusedNewParameterIsLeftOutAndTheRestIsWritten() {
        assertThat(guard.apply(params("work_mem", "8MB", "max_worker_processes", "lots"), server))
                .containsExactly(Map.entry("work_mem", "8MB"));
        assertThat(guard.refused()).containsOnlyKeys("max_worker_processes");
        assertThat(guard.refused().get("max_worker_processes").kept()).isNull();
    }

    @Test
    void aRefusedChangeKeepsTheLastAcceptedValue() {
        guard.apply(params("shared_buffers", "128MB"), server);
        assertThat(guard.apply(params("shared_buffers", "banana", "work_mem", "6MB"), server))
                .containsEntry("shared_buffers", "128MB").containsEntry("work_mem", "6MB");
        assertThat(guard.refused().get("shared_buffers"))
                .isEqualTo(new ParameterGuard.Refusal("banana", "invalid value for parameter \"shared_buffers\"", "128MB"));
        assertThat(checked.get(1)).as("only what changed is checked").isEqualTo(params("shared_buffers", "banana",
                "work_mem", "6MB"));
    }

    @Test
    void unchangedParametersAreNotCheckedAgainAndAFixClearsTheRefusal() {
        guard.apply(params("shared_buffers", "banana"), server);
        guard.apply(params("shared_buffers", "banana"), server);
        assertThat(checked).hasSize(1);
        assertThat(guard.apply(params("shared_buffers", "256MB"), server)).containsEntry("shared_buffers", "256MB");
        assertThat(guard.refused()).isEmpty();
        assertThat(guard.apply(params(), server)).as("a removed parameter goes back to the default").isEmpty();
    }

    @Test
    void whenTheCheckCannotRunTheLastAcceptedParametersStand() {
        Function<Map<String, Object>, Map<String, String>> broken = p -> {
            throw new IllegalStateException("postgres cannot run");
        };
        assertThat(guard.apply(params("work_mem", "8MB"), broken)).as("nothing accepted yet: written unchecked")
                .containsEntry("work_mem", "8MB");
        guard.apply(params("work_mem", "8MB"), server);
        assertThat(guard.apply(params("work_mem", "9MB"), broken)).containsEntry("work_mem", "8MB");
        assertThat(guard.apply(params("work_mem", "9MB"), server)).as("tried again").containsEntry("work_mem", "9MB");
    }
}
