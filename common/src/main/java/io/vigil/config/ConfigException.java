package io.vigil.config;

/** A configuration problem, phrased for the operator: names the key and what to do. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
