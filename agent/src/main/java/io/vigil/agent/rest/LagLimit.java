package io.vigil.agent.rest;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code ?lag=} value: bytes ("1048576", "16MB", "1 GB") or seconds ("10s", "2min"). */
record LagLimit(Long bytes, Long seconds) {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*([a-zA-Z]*)\\s*");

    static LagLimit parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("lag '" + text + "' is not a size (16MB) or a duration (10s)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "", "b" -> new LagLimit(n, null);
            case "kb", "k" -> new LagLimit(n << 10, null);
            case "mb", "m" -> new LagLimit(n << 20, null);
            case "gb", "g" -> new LagLimit(n << 30, null);
            case "tb", "t" -> new LagLimit(n << 40, null);
            case "s", "sec" -> new LagLimit(null, n);
            case "min" -> new LagLimit(null, n * 60);
            case "h" -> new LagLimit(null, n * 3600);
            default -> throw new IllegalArgumentException("lag unit '" + m.group(2) + "' is unknown; use B, kB, MB, GB, s, min or h");
        };
    }

    boolean exceeded(long lagBytes, Long lagSeconds) {
        if (bytes != null) return lagBytes > bytes;
        return lagSeconds != null && lagSeconds > seconds;
    }
}
