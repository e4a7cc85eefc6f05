package io.vigil.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads a node's YAML file into an {@link AgentConfig}. Every problem is reported at once, each
 * naming its key (and the YAML line where the parser knows it). Nothing is started on error.
 */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Map<String, String> env;
    /** The callbacks Patroni knows, in the order its documentation lists them. */
    public static final List<String> CALLBACKS = List.of("on_start", "on_stop", "on_restart", "on_reload", "on_role_change");
    private final boolean checkFileSystem;

    public ConfigLoader(Map<String, String> env, boolean checkFileSystem) {
        this.env = env;
        this.checkFileSystem = checkFileSystem;
    }

    public AgentConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + " (" + e.getClass().getSimpleName()
                    + "); pass an existing file with --config");
        }
        return parse(text, file.toString());
    }

    public AgentConfig parse(String yaml, String source) {
        NodeConfig raw;
        try {
            raw = YAML.readValue(yaml, NodeConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + describe(e, yaml));
        }
        if (raw == null) {
            throw new ConfigException(source + ": the file is empty; see docs/configuration.md for a full example");
        }
        return resolve(raw, source);
    }

    static String describe(JsonProcessingException e, String yaml) {
        String line = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? lineOfKey(yaml, m.getPath()) : lineOf(e.getLocation());
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", "));
            return "unknown key '" + path(u) + "'" + line + "; known keys here: " + known;
        }
        if (e instanceof InvalidFormatException f) {
            return "key '" + path(f) + "'" + line + ": '" + f.getValue() + "' is not "
                    + typeName(f.getTargetType());
        }
        if (e instanceof MismatchedInputException m) {
            return "key '" + path(m) + "'" + line + ": expected " + typeName(m.getTargetType());
        }
        return "not valid YAML" + line + ": " + e.getOriginalMessage();
    }

    /** The line of a nested key, found by walking the path down the file's indentation. */
    private static String lineOfKey(String yaml, List<JsonMappingException.Reference> path) {
        String[] lines = yaml.split("\n", -1);
        int from = 0;
        int found = -1;
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() == null) continue;
            Pattern key = Pattern.compile("^[\\s-]*\"?" + Pattern.quote(r.getFieldName()) + "\"?\\s*:.*|.*[{,]\\s*"
                    + Pattern.quote(r.getFieldName()) + "\\s*:.*");
            found = -1;
            for (int i = from; i < lines.length; i++) {
                if (key.matcher(lines[i]).matches()) {
                    found = i;
                    break;
                }
            }
            if (found < 0) return "";
            from = found;
        }
        return found < 0 ? "" : " (line " + (found + 1) + ")";
    }

    private static String lineOf(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 1 ? "" : " (line " + loc.getLineNr() + ")";
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String typeName(Class<?> t) {
        if (t == null) return "a different type";
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) return "a whole number";
        if (t == Boolean.class || t == boolean.class) return "true or false";
        if (t == String.class) return "a text value";
        if (List.class.isAssignableFrom(t)) return "a list";
        if (Map.class.isAssignableFrom(t) || t.isRecord()) return "a mapping of keys";
        return "a " + t.getSimpleName();
    }

    private AgentConfig resolve(NodeConfig c, String source) {
        List<String> problems = new ArrayList<>();
        String scope = required(c.scope(), "scope", problems);
        String name = required(c.name(), "name", problems);
        if (scope != null && !NAME.matcher(scope).matches()) {
            problems.add("scope '" + scope + "' may hold only letters, digits, '_', '.', '-' (at most 63)");
        }
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add("name '" + name + "' may hold only letters, digits, '_', '.', '-' (at most 63)");
        }
        String namespace = c.namespace() == null ? "/vigil/" : c.namespace();
        if (!namespace.startsWith("/") || !namespace.endsWith("/")) {
            problems.add("namespace '" + namespace + "' must start and end with '/', e.g. /vigil/");
        }

        NodeConfig.Etcd etcd = c.etcd();
        List<String> endpoints = List.of();
        Secret etcdPassword = null;
        if (etcd == null || etcd.hosts() == null || etcd.hosts().isEmpty()) {
            problems.add("etcd.hosts is missing: list the etcd endpoints, e.g. [127.0.0.1:2379]");
        } else {
            endpoints = new ArrayList<>();
            for (int i = 0; i < etcd.hosts().size(); i++) {
                String h = etcd.hosts().get(i);
                String bare = h == null ? "" : h.replaceFirst("^https?://", "");
                tryParse(bare, "etcd.hosts[" + i + "]", problems);
                String scheme = etcd.cacert() != null ? "https://" : "http://";
                endpoints.add(h != null && h.matches("^https?://.*") ? h : scheme + bare);
            }
            etcdPassword = resolveSecret(etcd.credential(), "etcd", problems);
            if (etcdPassword != null && etcd.username() == null) {
                problems.add("etcd.username is missing: a password was given without a user");
            }
            checkReadable(etcd.cacert(), "etcd.cacert", problems);
            checkReadable(etcd.cert(), "etcd.cert", problems);
            checkReadable(etcd.key(), "etcd.key", problems);
        }

        NodeConfig.RestApi rest = c.restapi();
        HostPort restListen = null;
        HostPort restConnect = null;
        String restUser = null;
        Secret restPassword = null;
        if (rest == null || rest.listen() == null) {
            problems.add("restapi.listen is missing: give host:port for the REST API, e.g. 127.0.0.1:8008");
        } else {
            restListen = tryParse(rest.listen(), "restapi.listen", problems);
            restConnect = rest.connectAddress() == null ? restListen
                    : tryParse(rest.connectAddress(), "restapi.connect_address", problems);
            checkConnectable(restConnect, "restapi", problems);
            if (rest.authentication() != null) {
                restUser = required(rest.authentication().username(), "restapi.authentication.username", problems);
                restPassword = resolveSecret(rest.authentication(), "restapi.authentication", problems);
                if (restPassword == null) {
                    problems.add("restapi.authentication: give password, password_env or password_file");
                }
            }
            if ((rest.certfile() == null) != (rest.keyfile() == null)) {
                problems.add("restapi: certfile and keyfile go together; give both or neither");
            }
            checkReadable(rest.certfile(), "restapi.certfile", problems);
            checkReadable(rest.keyfile(), "restapi.keyfile", problems);
            checkReadable(rest.cafile(), "restapi.cafile", problems);
        }

        NodeConfig.Postgresql pg = c.postgresql();
        Path dataDir = null;
        Path binDir = null;
        HostPort pgListen = null;
        HostPort pgConnect = null;
        Path pgpass = null;
        String superuser = "postgres";
        Secret superPw = null;
        String replUser = null;
        Secret replPw = null;
        String rewindUser = null;
        Secret rewindPw = null;
        Map<String, Object> localParams = Map.of();
        List<String> hba = List.of();
        List<String> basebackup = List.of();
        Map<String, List<String>> callbacks = Map.of();
        int callbackTimeout = 60;
        int keepOldData = 1;
        int oldDataFreeFloor = 10;
        if (pg == null) {
            problems.add("postgresql is missing: give at least data_dir, listen and authentication");
        } else {
            String dd = required(pg.dataDir(), "postgresql.data_dir", problems);
            if (dd != null) {
                dataDir = Path.of(dd).toAbsolutePath().normalize();
                checkDataDir(dataDir, problems);
            }
            binDir = pg.binDir() != null ? Path.of(pg.binDir()) : defaultBinDir();
            if (binDir == null) {
                problems.add("postgresql.bin_dir is missing and no PostgreSQL was found under /usr/lib/postgresql;"
                        + " install PostgreSQL or set bin_dir");
            } else if (checkFileSystem && !Files.isExecutable(binDir.resolve("pg_ctl"))) {
                problems.add("postgresql.bin_dir: " + binDir.resolve("pg_ctl") + " is not an executable; point bin_dir"
                        + " at PostgreSQL's bin directory");
            }
            if (pg.listen() == null) {
                problems.add("postgresql.listen is missing: give host:port, e.g. 127.0.0.1:5432");
            } else {
                pgListen = tryParse(pg.listen(), "postgresql.listen", problems);
                pgConnect = pg.connectAddress() == null ? pgListen
                        : tryParse(pg.connectAddress(), "postgresql.connect_address", problems);
                checkConnectable(pgConnect, "postgresql", problems);
            }
            if (dataDir != null) {
                pgpass = pg.pgpass() != null ? Path.of(pg.pgpass())
                        : dataDir.getParent().resolve("pgpass-" + (name == null ? "node" : name));
            }
            NodeConfig.Authentication auth = pg.authentication();
            if (auth == null || auth.superuser() == null || auth.replication() == null) {
                problems.add("postgresql.authentication needs superuser and replication credentials");
            } else {
                if (auth.superuser().username() != null) superuser = auth.superuser().username();
                superPw = resolveSecret(auth.superuser(), "postgresql.authentication.superuser", problems);
                if (superPw == null) {
                    problems.add("postgresql.authentication.superuser: give password, password_env or password_file");
                }
                replUser = required(auth.replication().username(), "postgresql.authentication.replication.username", problems);
                replPw = resolveSecret(auth.replication(), "postgresql.authentication.replication", problems);
                if (replPw == null) {
                    problems.add("postgresql.authentication.replication: give password, password_env or password_file");
                }
                rewindUser = superuser;
                rewindPw = superPw;
                if (auth.rewind() != null) {
                    rewindUser = required(auth.rewind().username(), "postgresql.authentication.rewind.username", problems);
                    rewindPw = resolveSecret(auth.rewind(), "postgresql.authentication.rewind", problems);
                }
            }
            if (pg.parameters() != null) localParams = Map.copyOf(new LinkedHashMap<>(pg.parameters()));
            if (pg.pgHba() != null) hba = List.copyOf(pg.pgHba());
            basebackup = commandOptions("postgresql.basebackup", pg.basebackup(), BASEBACKUP_SET_BY_VIGIL, problems);
            callbacks = callbacks(pg.callbacks(), problems);
            if (pg.keepOldData() != null) {
                keepOldData = pg.keepOldData();
                if (keepOldData < 0) {
                    problems.add("postgresql.keep_old_data is " + keepOldData + ": give how many data directories moved"
                            + " aside by re-clones to keep, newest first (0 or more; default 1)");
                }
            }
            if (pg.oldDataFreeFloor() != null) {
                oldDataFreeFloor = pg.oldDataFreeFloor();
                if (oldDataFreeFloor < 0 || oldDataFreeFloor > 99) {
                    problems.add("postgresql.old_data_free_floor is " + oldDataFreeFloor + ": give the percent of the"
                            + " disk that must stay free, 0 to 99 (default 10); below it no moved-aside copy is kept");
                }
            }
            if (pg.callbackTimeout() != null) {
                callbackTimeout = pg.callbackTimeout();
                if (callbackTimeout < 1) {
                    problems.add("postgresql.callback_timeout is " + callbackTimeout + ": give the seconds a callback may"
                            + " run before it is killed (1 or more; default 60)");
                }
            }
        }

        ClusterSettings dcs = c.bootstrap() == null || c.bootstrap().dcs() == null
                ? ClusterSettings.defaults() : c.bootstrap().dcs();
        problems.addAll(dcs.problems("bootstrap.dcs."));
        List<Object> initdbItems = c.bootstrap() == null ? null : c.bootstrap().initdb();
        List<String> initdb = initdbItems == null ? DEFAULT_INITDB
                : commandOptions("bootstrap.initdb", initdbItems, INITDB_SET_BY_VIGIL, problems);
        WatchdogSettings watchdog = watchdog(c.watchdog(), problems);
        boolean jsonLogs = jsonLogs(c.log(), problems);

        if (!problems.isEmpty()) {
            throw new ConfigException(source + ": " + String.join("\n" + source + ": ", problems));
        }
        return new AgentConfig(scope, name, namespace, List.copyOf(endpoints),
                etcd.username(), etcdPassword, etcd.cacert(), etcd.cert(), etcd.key(),
                restListen, restConnect, restUser, restPassword, rest.certfile(), rest.keyfile(),
                rest.cafile(),
                dataDir, binDir, pgListen, pgConnect, pgpass, superuser, superPw, replUser, replPw,
                rewindUser, rewindPw, localParams, hba, initdb, basebackup, dcs,
                c.tags() == null ? Tags.NONE : c.tags(), watchdog, jsonLogs, callbacks, callbackTimeout,
                keepOldData, oldDataFreeFloor);
    }

    /** Why {@code command} cannot be run as a callback, or null when it can. */
    public static String notExecutable(String command) {
        Path p = Path.of(command);
        if (!p.isAbsolute()) return command + " is not an absolute path; give the script's full path";
        if (!Files.exists(p)) return command + " does not exist";
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) return command + " is not an executable file (chmod +x)";
        return null;
    }

    /** Patroni's postgresql.callbacks: the callback's command split into words, by callback name. */
    private Map<String, List<String>> callbacks(Map<String, String> given, List<String> problems) {
        if (given == null) return Map.of();
        Map<String, List<String>> out = new LinkedHashMap<>();
        given.forEach((name, command) -> {
            String key = "postgresql.callbacks." + name;
            if (!CALLBACKS.contains(name)) {
                problems.add(key + " is not a callback: give " + String.join(", ", CALLBACKS));
                return;
            }
            List<String> words = command == null ? List.of() : CommandWords.split(command);
            if (words == null || words.isEmpty()) {
                problems.add(key + ": give the command to run, e.g. /usr/local/bin/on-role-change.sh (an unclosed quote"
                        + " counts as none)");
                return;
            }
            String problem = checkFileSystem ? notExecutable(words.get(0)) : null;
            if (problem != null) {
                problems.add(key + ": " + problem);
                return;
            }
            out.put(name, words);
        });
        return Map.copyOf(out);
    }

    /** log.type: plain (default) or json. */
    private static boolean jsonLogs(NodeConfig.Log l, List<String> problems) {
        String type = l == null || l.type() == null ? "plain" : l.type();
        if (!type.equals("plain") && !type.equals("json")) {
            problems.add("log.type is '" + type + "': give plain (a line of text per event) or json (a JSON object per line)");
        }
        return type.equals("json");
    }

    private static WatchdogSettings watchdog(NodeConfig.Watchdog w, List<String> problems) {
        if (w == null) return WatchdogSettings.OFF;
        WatchdogSettings.Mode mode = WatchdogSettings.parseMode(w.mode());
        if (mode == null) {
            problems.add("watchdog.mode is '" + w.mode() + "': give off, automatic or required");
        }
        Path device = WatchdogSettings.DEFAULT_DEVICE;
        if (w.device() != null) {
            if (w.device().isBlank() || !w.device().startsWith("/")) {
                problems.add("watchdog.device is '" + w.device() + "': give an absolute path, e.g. /dev/watchdog");
            } else {
                device = Path.of(w.device());
            }
        }
        int margin = w.safetyMargin() == null ? 5 : w.safetyMargin();
        if (margin < -1) {
            problems.add("watchdog.safety_margin is " + margin + ": give seconds (0 or more), or -1 for half of ttl");
        }
        return new WatchdogSettings(mode == null ? WatchdogSettings.Mode.OFF : mode, device, margin);
    }

    private static String required(String value, String key, List<String> problems) {
        if (value == null || value.isBlank()) {
            problems.add(key + " is missing");
            return null;
        }
        return value;
    }

    private static HostPort tryParse(String text, String key, List<String> problems) {
        try {
            return HostPort.parse(text, key);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private static void checkConnectable(HostPort hp, String section, List<String> problems) {
        if (hp != null && (hp.host().equals("0.0.0.0") || hp.host().equals("::") || hp.host().equals("*"))) {
            problems.add(section + ".connect_address is needed: listen is a wildcard (" + hp.host()
                    + "), which other nodes cannot connect to");
        }
    }

    private Secret resolveSecret(Credential cred, String key, List<String> problems) {
        try {
            return cred.resolvePassword(key, env);
        } catch (ConfigException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private void checkReadable(String file, String key, List<String> problems) {
        if (file != null && checkFileSystem && !Files.isReadable(Path.of(file))) {
            problems.add(key + ": cannot read " + file + "; check the path and its permissions");
        }
    }

    private void checkDataDir(Path dataDir, List<String> problems) {
        if (!checkFileSystem) return;
        if (Files.exists(dataDir)) {
            if (!Files.isDirectory(dataDir)) {
                problems.add("postgresql.data_dir: " + dataDir + " exists but is not a directory");
            } else if (!Files.isReadable(dataDir) || !Files.isWritable(dataDir) || !Files.isExecutable(dataDir)) {
                problems.add("postgresql.data_dir: " + dataDir + " is not readable and writable by user "
                        + System.getProperty("user.name") + "; chown it to the user that runs Postgres");
            }
        } else {
            Path parent = dataDir.getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                problems.add("postgresql.data_dir: " + dataDir + " does not exist and its parent " + parent
                        + " is not a writable directory; create it for user " + System.getProperty("user.name"));
            }
        }
    }

    private static Path defaultBinDir() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) return null;
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> Files.isExecutable(p.resolve("bin/pg_ctl")))
                    .max(Comparator.comparingInt(p -> versionOf(p.getFileName().toString())))
                    .map(p -> p.resolve("bin")).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int versionOf(String dir) {
        try {
            return Integer.parseInt(dir.replaceAll("[^0-9].*", ""));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static final List<String> DEFAULT_INITDB = List.of("--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums");
    private static final Set<String> INITDB_SET_BY_VIGIL = Set.of("pgdata", "username", "pwfile");
    private static final Set<String> BASEBACKUP_SET_BY_VIGIL = Set.of("pgdata", "dbname", "host", "port", "username",
            "wal-method", "format", "target", "write-recovery-conf", "no-password", "password");

    /**
     * Patroni's option lists for initdb and pg_basebackup: "data-checksums" or {"encoding": "UTF8"}
     * becomes --data-checksums, --encoding=UTF8. pg_basebackup's may also be a map, as Patroni allows.
     * Long option names only; those Vigil sets itself are refused.
     */
    private static List<String> commandOptions(String key, Object given, Set<String> setByVigil, List<String> problems) {
        List<Object> items = new ArrayList<>();
        if (given instanceof Map<?, ?> m) {
            m.forEach((k, v) -> items.add(v == null ? String.valueOf(k) : Map.of(k, v)));
        } else if (given instanceof List<?> l) {
            items.addAll(l);
        } else if (given != null) {
            problems.add(key + " must be a list of options, e.g. [verbose, {max-rate: 100M}]");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Object o = items.get(i);
            String name;
            if (o instanceof String s) {
                name = s;
                out.add("--" + s);
            } else if (o instanceof Map<?, ?> m && m.size() == 1) {
                Map.Entry<?, ?> e = m.entrySet().iterator().next();
                name = String.valueOf(e.getKey());
                out.add(e.getValue() == null ? "--" + name : "--" + name + "=" + e.getValue());
            } else {
                problems.add(key + "[" + i + "] must be an option name or a single key: value");
                continue;
            }
            if (name.length() < 2 || name.startsWith("-")) {
                problems.add(key + "[" + i + "] is '" + name + "': give the option's long name without dashes,"
                        + " e.g. data-checksums or {max-rate: 100M}");
            } else if (setByVigil.contains(name)) {
                problems.add(key + ": " + name + " is set by Vigil itself; remove it");
            }
        }
        return List.copyOf(out);
    }
}
