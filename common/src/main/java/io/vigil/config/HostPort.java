package io.vigil.config;

import java.net.URI;

/** A host and port, parsed from "host:port" or from a URL. */
public record HostPort(String host, int port) {

    public static HostPort parse(String text, String key) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(key + " is empty: expected host:port");
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(key + " '" + text + "' is not host:port");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(key + " port " + port + " is outside 1-65535");
            }
            return new HostPort(host, port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " '" + text + "' has a port that is not a number");
        }
    }

    public static HostPort fromUrl(String url) {
        URI uri = URI.create(url);
        return new HostPort(uri.getHost(), uri.getPort());
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
