package io.vigil.cluster;

/** A PostgreSQL WAL position ("16/B374D848"), held as an unsigned 64-bit byte offset. */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);

    /** Parses Postgres's text form "X/Y" (both hexadecimal). */
    public static Lsn parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN is null");
        }
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hex): " + text);
        }
        try {
            long hi = Long.parseLong(text.substring(0, slash), 16);
            long lo = Long.parseLong(text.substring(slash + 1), 16);
            if (hi > 0xFFFFFFFFL || lo > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("LSN part larger than 32 bits: " + text);
            }
            return new Lsn((hi << 32) | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hex): " + text, e);
        }
    }

    /** Null-safe parse: null or blank gives null. */
    public static Lsn parseOrNull(String text) {
        return text == null || text.isBlank() ? null : parse(text.trim());
    }

    public static Lsn max(Lsn a, Lsn b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Bytes from {@code other} up to this position; 0 when other is ahead. */
    public long bytesAfter(Lsn other) {
        long diff = value - other.value;
        return Long.compareUnsigned(value, other.value) > 0 ? diff : 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }

    /** A byte count for people: "512 bytes", "48.0 MB". */
    public static String size(long bytes) {
        if (bytes < 1024) return bytes + " bytes";
        if (bytes < 1024 * 1024) return String.format(java.util.Locale.ROOT, "%.1f kB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1048576.0);
        return String.format(java.util.Locale.ROOT, "%.1f GB", bytes / 1073741824.0);
    }
}
