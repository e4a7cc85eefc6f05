package io.vigil.agent.pg;

import io.vigil.config.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Does a Postgres answer on an address? Sends the SSLRequest that opens every libpq connection and
 * waits for its one-byte answer ('S' or 'N'): a live postmaster and a forked backend answered, with no
 * login and nothing in the server's log (a connection that ends before its startup packet is not
 * logged). A port that only accepts (a frozen server's kernel still completes the TCP handshake)
 * does not count.
 */
public final class PostgresPing {
    private static final byte[] SSL_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};

    private PostgresPing() {
    }

    /** True when the server at {@code address} answered within {@code timeout} (connect and answer each). */
    public static boolean answers(HostPort address, Duration timeout) {
        int ms = (int) timeout.toMillis();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address.host(), address.port()), ms);
            s.setSoTimeout(ms);
            s.getOutputStream().write(SSL_REQUEST);
            InputStream in = s.getInputStream();
            int b = in.read();
            return b == 'S' || b == 'N';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
