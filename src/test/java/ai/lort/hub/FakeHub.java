package ai.lort.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A small Hugging Face hub on loopback that speaks the protocol LoRT relies on: the revision API,
 * {@code resolve} with a relative redirect for small files and a 302 to a second host for LFS
 * files. The hub listens as {@code 127.0.0.1}, the LFS storage as {@code localhost}, so the two
 * are different hosts to the client. Every request is recorded; faults can be injected.
 */
final class FakeHub implements AutoCloseable {
    record Request(String server, String method, String path, String authorization, String range) {
        boolean fetchesBody() {
            return method.equals("GET") && (server.equals("storage") || path.startsWith("/api/resolve-cache/"));
        }
    }

    /** One repository: commits by sha, branches and tags pointing at them. */
    static final class Repo {
        final Map<String, Map<String, byte[]>> commits = new HashMap<>();
        final Map<String, String> refs = new HashMap<>();
        final List<String> extraSiblings = new ArrayList<>();
        final Map<String, String> etagOverrides = new HashMap<>();
        String allowedToken; // gated when set

        /** Adds a commit with these files and points {@code ref} at it; *.safetensors are LFS files. */
        String commit(String ref, Map<String, byte[]> files) {
            String sha = HexFormat.of().formatHex(digest("SHA-1", (ref + commits.size() + files.keySet()).getBytes(StandardCharsets.UTF_8)));
            commits.put(sha, new LinkedHashMap<>(files));
            if (ref != null) refs.put(ref, sha);
            return sha;
        }

        String resolve(String revision) { return commits.containsKey(revision) ? revision : refs.get(revision); }
    }

    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    final Set<String> validTokens = new HashSet<>();
    /** LFS sha256 → bytes to send before dropping the connection, once. */
    final Map<String, Integer> dropOnce = new HashMap<>();
    /** LFS sha256s whose body is served with one byte changed. */
    final Set<String> corrupt = new HashSet<>();
    /** LFS sha256s whose every response is cut after 1000 bytes. */
    final Set<String> dropAlways = new HashSet<>();
    /** LFS sha256 → bytes to send before going silent (connection kept open), once. */
    final Map<String, Integer> stallOnce = new HashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    boolean ignoreRange;
    /** Like some mirrors: LFS redirects without X-Linked-* headers; the storage host answers HEAD. */
    boolean plainRedirects;

    private final Map<String, Repo> repos = new HashMap<>();
    private final Map<String, byte[]> lfsBySha256 = new HashMap<>();
    private final HttpServer hub;
    private final HttpServer storage;

    FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", ex -> handle(ex, () -> serveHub(ex)));
        storage.createContext("/", ex -> handle(ex, () -> serveStorage(ex)));
        storage.setExecutor(Executors.newCachedThreadPool()); // a stalled answer must not block the next
        hub.start();
        storage.start();
    }

    Repo repo(String id) { return repos.computeIfAbsent(id, k -> new Repo()); }

    URI endpoint() { return URI.create("http://127.0.0.1:" + hub.getAddress().getPort()); }

    HubEnvironment env(Path cache, String token, boolean offline) {
        return new HubEnvironment(endpoint(), cache, offline, token, cache.getParent());
    }

    List<Request> bodyFetches() { return requests.stream().filter(Request::fetchesBody).toList(); }

    List<Request> on(String server) { return requests.stream().filter(r -> r.server().equals(server)).toList(); }

    static String sha256(byte[] b) { return HexFormat.of().formatHex(digest("SHA-256", b)); }

    /** The etag git gives a small file: sha1 of "blob {size}\0" followed by the content. */
    static String gitBlobSha1(byte[] b) {
        byte[] header = ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + b.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(b, 0, all, header.length, b.length);
        return HexFormat.of().formatHex(digest("SHA-1", all));
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static boolean isLfs(String file) { return file.endsWith(".safetensors"); }

    static String etagOf(String file, byte[] content) { return isLfs(file) ? sha256(content) : gitBlobSha1(content); }

    @Override
    public void close() {
        released.countDown();
        hub.stop(0);
        storage.stop(0);
    }

    private interface Handler { void run() throws IOException; }

    private void handle(HttpExchange ex, Handler handler) {
        try (ex) {
            handler.run();
        } catch (IOException dropped) {
            // the fault injection closed the stream on purpose
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
    }

    private void record(String server, HttpExchange ex) {
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
    }

    private void serveHub(HttpExchange ex) throws IOException {
        record("hub", ex);
        String path = ex.getRequestURI().getRawPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String token = auth == null ? null : auth.replaceFirst("^Bearer ", "");
        if (token != null && !validTokens.contains(token)) { reply(ex, 401, null); return; }

        if (path.startsWith("/api/models/")) {
            String[] idAndRev = path.substring("/api/models/".length()).split("/revision/", 2);
            Repo repo = repos.get(idAndRev[0]);
            if (repo == null) { reply(ex, token == null ? 401 : 404, "RepoNotFound"); return; }
            String sha = repo.resolve(decode(idAndRev[1]));
            if (sha == null) { reply(ex, 404, "RevisionNotFound"); return; }
            List<Map<String, String>> siblings = new ArrayList<>();
            repo.commits.get(sha).keySet().forEach(f -> siblings.add(Map.of("rfilename", f)));
            repo.extraSiblings.forEach(f -> siblings.add(Map.of("rfilename", f)));
            byte[] json = new ObjectMapper().writeValueAsBytes(Map.of("id", idAndRev[0], "sha", sha, "siblings", siblings));
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, json.length);
            ex.getResponseBody().write(json);
            return;
        }
        if (path.startsWith("/api/resolve-cache/models/")) { // where small files land after the relative redirect
            String[] p = path.substring("/api/resolve-cache/models/".length()).split("/", 4);
            byte[] content = repos.get(p[0] + "/" + p[1]).commits.get(p[2]).get(decode(p[3]));
            ex.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(content) + "\"");
            ex.getResponseHeaders().set("X-Repo-Commit", p[2]);
            sendBody(ex, 200, content, 0);
            return;
        }
        String[] p = path.substring(1).split("/", 5); // org, name, "resolve", revision, file
        if (p.length < 5 || !p[2].equals("resolve")) { reply(ex, 404, null); return; }
        String id = p[0] + "/" + p[1];
        Repo repo = repos.get(id);
        if (repo == null) { reply(ex, 404, "RepoNotFound"); return; }
        if (repo.allowedToken != null && token == null) { reply(ex, 401, "GatedRepo"); return; }
        if (repo.allowedToken != null && !repo.allowedToken.equals(token)) { reply(ex, 403, "GatedRepo"); return; }
        String sha = repo.resolve(decode(p[3]));
        if (sha == null) { reply(ex, 404, "RevisionNotFound"); return; }
        String file = decode(p[4]);
        byte[] content = repo.commits.get(sha).get(file);
        if (content == null) { reply(ex, 404, "EntryNotFound"); return; }
        ex.getResponseHeaders().set("X-Repo-Commit", sha);
        if (isLfs(file)) {
            String sha256 = sha256(content);
            lfsBySha256.put(sha256, content);
            String etag = repo.etagOverrides.getOrDefault(file, sha256);
            if (!plainRedirects) {
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + etag + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", Long.toString(content.length));
                ex.getResponseHeaders().set("ETag", "W/\"cdn-etag\"");
            }
            ex.getResponseHeaders().set("Location", "http://localhost:" + storage.getAddress().getPort() + "/lfs/" + sha256 + "?signature=x");
            ex.sendResponseHeaders(302, -1);
        } else {
            ex.getResponseHeaders().set("Location", "/api/resolve-cache/models/" + id + "/" + sha + "/" + p[4]);
            ex.sendResponseHeaders(307, -1);
        }
    }

    private void serveStorage(HttpExchange ex) throws IOException {
        record("storage", ex);
        String sha256 = ex.getRequestURI().getRawPath().substring("/lfs/".length());
        byte[] content = lfsBySha256.get(sha256);
        if (content == null) { reply(ex, 404, null); return; }
        if (ex.getRequestMethod().equals("HEAD")) ex.getResponseHeaders().set("ETag", "\"" + sha256 + "\"");
        if (corrupt.contains(sha256)) {
            content = content.clone();
            content[content.length / 2] ^= 1;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        long from = range == null || ignoreRange ? 0 : Long.parseLong(range.replaceAll("bytes=(\\d+)-", "$1"));
        Integer dropAfter = dropAlways.contains(sha256) ? Integer.valueOf(1000) : dropOnce.remove(sha256);
        if (from > 0) ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        Integer stallAfter = stallOnce.remove(sha256);
        if (stallAfter != null) {
            ex.sendResponseHeaders(from > 0 ? 206 : 200, content.length - from);
            ex.getResponseBody().write(content, (int) from, stallAfter);
            ex.getResponseBody().flush();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled on purpose");
        }
        if (dropAfter != null) { // announce everything, send part, then cut the connection
            ex.sendResponseHeaders(from > 0 ? 206 : 200, content.length - from);
            OutputStream out = ex.getResponseBody();
            out.write(content, (int) from, dropAfter);
            out.flush();
            throw new IOException("dropped on purpose");
        }
        sendBody(ex, from > 0 ? 206 : 200, content, (int) from);
    }

    private static void sendBody(HttpExchange ex, int status, byte[] content, int from) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(content.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, content.length - from);
        ex.getResponseBody().write(content, from, content.length - from);
    }

    private static void reply(HttpExchange ex, int status, String errorCode) throws IOException {
        if (errorCode != null) ex.getResponseHeaders().set("X-Error-Code", errorCode);
        ex.sendResponseHeaders(status, -1);
    }

    private static String decode(String s) { return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8); }

    private static byte[] digest(String algorithm, byte[] b) {
        try {
            return MessageDigest.getInstance(algorithm).digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
