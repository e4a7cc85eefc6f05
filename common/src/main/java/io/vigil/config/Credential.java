package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A user name and a password given one of three ways: inline ({@code password}), from an
 * environment variable ({@code password_env}) or from a file ({@code password_file}).
 */
public record Credential(
        @JsonProperty("username") String username,
        @JsonProperty("password") String password,
        @JsonProperty("password_env") String passwordEnv,
        @JsonProperty("password_file") String passwordFile) {

    /** Resolves the password; {@code key} names this credential in error messages. */
    public Secret resolvePassword(String key, Map<String, String> env) {
        int given = (password != null ? 1 : 0) + (passwordEnv != null ? 1 : 0) + (passwordFile != null ? 1 : 0);
        if (given > 1) {
            throw new ConfigException(key + ": give only one of password, password_env, password_file");
        }
        if (password != null) {
            return new Secret(password);
        }
        if (passwordEnv != null) {
            String v = env.get(passwordEnv);
            if (v == null) {
                throw new ConfigException(key + ".password_env: environment variable " + passwordEnv
                        + " is not set; export it before starting, or use password_file");
            }
            return new Secret(v);
        }
        if (passwordFile != null) {
            try {
                return new Secret(Files.readString(Path.of(passwordFile)).strip());
            } catch (IOException e) {
                throw new ConfigException(key + ".password_file: cannot read " + passwordFile
                        + " (" + e.getClass().getSimpleName() + "); check that it exists and this user may read it");
            }
        }
        return null;
    }
}
