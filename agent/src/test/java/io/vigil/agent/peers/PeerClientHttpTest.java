package io.vigil.agent.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real HTTP and HTTPS peers: the JDK's own server, with a self-signed certificate made by keytool. */
class PeerClientHttpTest {
    private static final String BODY = "{\"state\":\"running\",\"role\":\"replica\",\"timeline\":3,"
            + "\"xlog\":{\"received_location\":2000,\"replayed_location\":1500}}";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    private static HttpServer plain;
    private static HttpsServer tls;
    private static final CountDownLatch hung = new CountDownLatch(1);
    private static final List<String> failsafeCalls = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void peers() throws Exception {
        keytool("-genkeypair", "-alias", "peer", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", dir.resolve("peer.p12").toString(),
                "-storetype", "PKCS12", "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "peer", "-keystore", dir.resolve("peer.p12").toString(),
                "-storepass", "changeit", "-file", dir.resolve("ca.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "peer", "-file", dir.resolve("ca.pem").toString(),
                "-keystore", dir.resolve("trust.p12").toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        plain = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tls = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tls.setHttpsConfigurator(new HttpsConfigurator(serverContext(dir.resolve("peer.p12"))));
        for (HttpServer s : List.of(plain, tls)) {
            s.createContext("/patroni", ex -> {
                byte[] b = BODY.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            s.createContext("/hung/patroni", ex -> {
                try {
                    hung.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
            });
            s.createContext("/failsafe", ex -> {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                failsafeCalls.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Authorization") + " "
                        + body);
                boolean allowed = ("Basic " + java.util.Base64.getEncoder().encodeToString(
                        "vigil:s3cret".getBytes(StandardCharsets.UTF_8)))
                        .equals(ex.getRequestHeaders().getFirst("Authorization"));
                byte[] b = (allowed ? "{}" : "{\"error\":\"authentication required\"}").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(allowed ? 200 : 401, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            s.start();
        }
    }

    @AfterAll
    static void stop() {
        hung.countDown();
        plain.stop(0);
        tls.stop(0);
    }

    @Test
    void plainPeersAnswerWithoutAnyTrustStore() {
        PeerStatus p = fetch(new PeerClient(TIMEOUT, null, false), url(plain, "http"));
        assertThat(p.reachable()).isTrue();
        assertThat(p.wal()).isEqualTo(new Lsn(2000));
    }

    @Test
    void httpsPeerIsTrustedThroughTheCaFile() {
        PeerClient client = new PeerClient(TIMEOUT, dir.resolve("ca.pem"), true);
        assertThat(fetch(client, url(tls, "https")).reachable()).isTrue();
        assertThat(fetch(client, url(plain, "http")).reachable()).isTrue();
    }

    @Test
    void httpsPeerWithoutCaFileIsCheckedAgainstTheJvmTrustStore() throws Exception {
        // the JDK's own trust store does not hold a certificate made a moment ago
        assertThat(fetch(new PeerClient(TIMEOUT, null, false), url(tls, "https")).reachable()).isFalse();
        // a JVM told to trust it (javax.net.ssl.trustStore) reaches it: the client uses the JVM's default trust
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Djavax.net.ssl.trustStore=" + dir.resolve("trust.p12"), "-Djavax.net.ssl.trustStorePassword=changeit",
                FetchOnce.class.getName(), url(tls, "https"))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("reachable=true wal=2000");
    }

    @Test
    @Timeout(30)
    void aPeerThatNeverAnswersIsUnreachableAfterTheTimeout() {
        String url = "http://127.0.0.1:" + plain.getAddress().getPort() + "/hung/patroni";
        Map<String, PeerStatus> got = new PeerClient(Duration.ofMillis(500), null, false)
                .fetch(List.of(member("n2", url), member("n3", url(plain, "http"))));
        assertThat(got.get("n2").reachable()).isFalse();
        assertThat(got.get("n3").reachable()).isTrue();
    }

    @Test
    void failsafePostCarriesTheLeaderAndTheRestCredentials() {
        failsafeCalls.clear();
        PeerClient client = new PeerClient(TIMEOUT, null, false);
        assertThat(client.postFailsafe(List.of(member(url(plain, "http"))), "node1", "vigil",
                new io.vigil.config.Secret("s3cret"))).containsEntry("n2", true);
        assertThat(client.postFailsafe(List.of(member(url(plain, "http"))), "node1", "vigil",
                new io.vigil.config.Secret("wrong"))).containsEntry("n2", false);
        assertThat(failsafeCalls).hasSize(2);
        assertThat(failsafeCalls.get(0)).startsWith("POST Basic ").endsWith(" {\"name\":\"node1\"}");
    }

    /** Run in a child JVM: one fetch from a client without a cafile, printed. */
    public static final class FetchOnce {
        public static void main(String[] args) {
            PeerStatus s = fetch(new PeerClient(TIMEOUT, null, false), args[0]);
            System.out.println("reachable=" + s.reachable() + " wal=" + (s.wal() == null ? null : s.wal().value()));
        }
    }

    private static PeerStatus fetch(PeerClient client, String url) {
        Map<String, PeerStatus> got = client.fetch(List.of(member(url)));
        return got.get("n2");
    }

    private static Member member(String apiUrl) {
        return member("n2", apiUrl);
    }

    private static Member member(String name, String apiUrl) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", apiUrl, io.vigil.cluster.MemberState.RUNNING, io.vigil.cluster.MemberRole.REPLICA, null, null, null,
                null, null, null, null, null, null);
    }

    private static String url(HttpServer s, String scheme) {
        return scheme + "://127.0.0.1:" + s.getAddress().getPort() + "/patroni";
    }

    private static SSLContext serverContext(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool " + String.join(" ", args) + ": " + out).isZero();
    }
}
