package io.vigil.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Edits of the cluster-wide settings (PATCH and PUT /config), pure: JSON merge patch (RFC 7386,
 * a null deletes a key) or replacement, then the same validation as {@code bootstrap.dcs}.
 * Throws {@link ConfigException} with a one-line message naming the key.
 */
public final class ConfigEdit {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** The edited settings: their stored JSON and the parsed, validated value. */
    public record Result(String json, ClusterSettings settings) {
    }

    /** An edit written to etcd: the stored JSON and what changed in the settings in force. */
    public record Applied(String json, List<String> changes) {
    }

    /** The stored settings changed since the revision the edit was based on. */
    public static final class Conflict extends RuntimeException {
        public Conflict(String message) {
            super(message);
        }
    }

    private ConfigEdit() {
    }

    /** Applies a merge patch to the stored JSON. */
    public static Result patch(String storedJson, String patchJson) {
        JsonNode patch = object(patchJson, "request body");
        JsonNode stored;
        try {
            stored = STRICT.readTree(storedJson == null || storedJson.isBlank() ? "{}" : storedJson);
        } catch (JsonProcessingException e) {
            stored = STRICT.createObjectNode();
        }
        if (!stored.isObject()) stored = STRICT.createObjectNode();
        return validate(merge((ObjectNode) stored.deepCopy(), patch));
    }

    /** Replaces the settings with {@code json} (PUT). */
    public static Result replace(String json) {
        return validate(object(json, "request body"));
    }

    private static JsonNode object(String json, String what) {
        if (json == null || json.isBlank()) {
            throw new ConfigException(what + " is empty: send a JSON object such as {\"loop_wait\": 5}");
        }
        try {
            JsonNode n = STRICT.readTree(json);
            if (n == null || !n.isObject()) throw new ConfigException(what + " must be a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new ConfigException("invalid JSON in " + what + ": " + e.getOriginalMessage().split("\n")[0]);
        }
    }

    static ObjectNode merge(ObjectNode target, JsonNode patch) {
        patch.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (v.isNull()) {
                target.remove(e.getKey());
            } else if (v.isObject() && target.get(e.getKey()) instanceof ObjectNode inner) {
                merge(inner, v);
            } else {
                target.set(e.getKey(), v.deepCopy());
            }
        });
        return target;
    }

    private static Result validate(JsonNode edited) {
        ClusterSettings parsed;
        try {
            parsed = STRICT.treeToValue(edited, ClusterSettings.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("unknown key '" + path(e) + "'; known: " + e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ")));
        } catch (MismatchedInputException e) {
            throw new ConfigException("wrong type for '" + path(e) + "': expected "
                    + e.getTargetType().getSimpleName().toLowerCase().replace("integer", "a whole number")
                    .replace("long", "a whole number").replace("boolean", "true or false"));
        } catch (JsonProcessingException e) {
            throw new ConfigException("invalid settings: " + e.getOriginalMessage().split("\n")[0]);
        }
        List<String> problems = parsed.problems("");
        if (!problems.isEmpty()) throw new ConfigException(String.join("; ", problems));
        try {
            return new Result(STRICT.writeValueAsString(edited), parsed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What an edit changed in the settings in force (defaults filled in), one "key: old -> new" per
     * dotted key; a PUT that leaves a key out sends it back to its default, and this names it.
     */
    public static List<String> changes(ClusterSettings before, ClusterSettings after) {
        java.util.Map<String, String> a = new java.util.TreeMap<>();
        java.util.Map<String, String> b = new java.util.TreeMap<>();
        flatten("", STRICT.valueToTree(before), a);
        flatten("", STRICT.valueToTree(after), b);
        java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys.stream().filter(k -> !java.util.Objects.equals(a.get(k), b.get(k)))
                .map(k -> k + ": " + a.getOrDefault(k, "(none)") + " -> " + b.getOrDefault(k, "(none)")).toList();
    }

    private static void flatten(String prefix, JsonNode n, java.util.Map<String, String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                    e.getValue(), out));
        } else if (!n.isNull()) {
            out.put(prefix, n.isTextual() ? n.asText() : n.toString());
        }
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
