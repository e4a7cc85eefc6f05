package io.vigil.config;

import java.util.Arrays;

/** A password or token. Never printed: toString hides the value. */
public final class Secret {
    private final char[] value;

    public Secret(String value) {
        this.value = value.toCharArray();
    }

    public String reveal() {
        return new String(value);
    }

    public boolean isEmpty() {
        return value.length == 0;
    }

    /** Compares in time independent of where the first difference is. */
    public boolean matches(String candidate) {
        byte[] a = reveal().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] b = candidate == null ? new byte[0] : candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.security.MessageDigest.isEqual(a, b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && Arrays.equals(value, s.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "******";
    }
}
