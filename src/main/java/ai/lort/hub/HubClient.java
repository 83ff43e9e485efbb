package ai.lort.hub;

import ai.lort.LortException;
import ai.lort.load.LocalModel;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fetches the files a compression needs from the hub into the shared cache, the way Python's
 * {@code huggingface_hub} does, and reuses what is already there: a pinned commit already in the
 * cache needs no network, a branch needs one metadata call when its files are cached.
 */
public final class HubClient {
    /** A model's snapshot folder in the cache, with the commit and each file's etag. */
    public record Snapshot(HubId id, String commit, LocalModel model, Map<String, String> etags) {}

    private record RepoInfo(String commit, Set<String> files) {}

    private final HubEnvironment env;
    private final HubHttp http;
    private final BlobDownloader downloader;
    private final PrintStream log;
    private final ObjectMapper json = new ObjectMapper();

    public HubClient(HubEnvironment env, boolean quiet) {
        this(env, quiet, System.err, DownloadPolicy.DEFAULT);
    }

    HubClient(HubEnvironment env, boolean quiet, PrintStream log, DownloadPolicy policy) {
        this.env = env;
        this.http = new HubHttp(env);
        this.log = log;
        this.downloader = new BlobDownloader(http, policy, quiet, log);
    }

    public Snapshot fetch(HubId id) {
        HubCache cache = new HubCache(env.hubCache(), id);
        if (env.offline()) {
            return cache.commitFor(id.revision()).flatMap(commit -> cached(id, cache, commit))
                    .orElseThrow(() -> new LortException("HF_HUB_OFFLINE is set and " + id + " is not in the cache "
                            + cache.repoDir() + ": unset HF_HUB_OFFLINE to download it, or give a local folder"));
        }
        if (HubId.isCommit(id.revision())) {
            Optional<Snapshot> pinned = cached(id, cache, id.revision());
            if (pinned.isPresent()) return pinned.get();
        }
        try {
            RepoInfo info = repoInfo(id);
            Snapshot snapshot = download(id, cache, info);
            cache.writeRef(id.revision(), info.commit()); // only now: a ref never points at a half-fetched snapshot
            return snapshot;
        } catch (IOException e) {
            return fallBack(id, cache, e);
        }
    }

    private Snapshot fallBack(HubId id, HubCache cache, IOException e) {
        String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Optional<Snapshot> cached = cache.commitFor(id.revision()).flatMap(commit -> cached(id, cache, commit));
        if (cached.isEmpty())
            throw new LortException("cannot reach " + env.endpoint() + " (" + reason + ") and " + id + " is not in the cache "
                    + cache.repoDir() + ": check your network or proxy, or set HF_ENDPOINT to a reachable mirror");
        log.println("lort: cannot reach " + env.endpoint() + " (" + reason + "); using the cached snapshot "
                + cached.get().commit() + " of " + id);
        return cached.get();
    }

    /** A snapshot already in the cache whose weights are all present, with the etags its links name. */
    private Optional<Snapshot> cached(HubId id, HubCache cache, String commit) {
        Path dir = cache.snapshotDir(commit);
        if (!Files.isDirectory(dir)) return Optional.empty();
        LocalModel model;
        try {
            model = LocalModel.resolve(dir);
        } catch (LortException incomplete) {
            return Optional.empty();
        }
        Map<String, String> etags = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        names.add(LocalModel.INDEX);
        model.weightFiles().forEach(p -> names.add(dir.relativize(p).toString().replace('\\', '/')));
        names.addAll(LocalModel.METADATA_FILES);
        for (String name : names) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) cache.etagOf(file).ifPresent(etag -> etags.put(name, etag));
        }
        return Optional.of(new Snapshot(id, commit, model, etags));
    }

    private RepoInfo repoInfo(HubId id) throws IOException {
        URI uri = http.url("api/models/" + id.repoId() + "/revision/" + HubHttp.encode(id.revision(), false));
        HttpResponse<String> response = http.getText(uri);
        if (response.statusCode() >= 500) throw new IOException("HTTP " + response.statusCode());
        if (response.statusCode() != 200) throw HubErrors.of(response, id, env.endpoint(), null, http.sendsToken());
        JsonNode root = parse(response.body(), uri);
        String commit = root.path("sha").asText("");
        if (!HubId.isCommit(commit)) throw new LortException(uri + " gave no commit sha; is HF_ENDPOINT a Hugging Face hub?");
        Set<String> files = new LinkedHashSet<>();
        for (JsonNode sibling : root.path("siblings")) files.add(HubPaths.checkRelative(sibling.path("rfilename").asText(""), "file name"));
        return new RepoInfo(commit, files);
    }

    private Snapshot download(HubId id, HubCache cache, RepoInfo info) throws IOException {
        Map<String, String> etags = new LinkedHashMap<>();
        Set<String> weights = new TreeSet<>();
        if (info.files().contains(LocalModel.INDEX)) {
            etags.put(LocalModel.INDEX, ensure(id, cache, info.commit(), LocalModel.INDEX));
            for (String shard : shardsNamedIn(cache.snapshotFile(info.commit(), LocalModel.INDEX))) {
                if (!info.files().contains(shard))
                    throw new LortException(id + ": " + LocalModel.INDEX + " names shard '" + shard + "' that the repository does not have");
                weights.add(shard);
            }
        } else {
            // top level only: subfolders hold other formats (onnx/, original/) we do not read
            info.files().stream().filter(f -> f.endsWith(".safetensors") && !f.contains("/")).forEach(weights::add);
        }
        if (weights.isEmpty()) throw new LortException(id + " has no .safetensors weights; LoRT reads safetensors only");
        for (String file : weights) etags.put(file, ensure(id, cache, info.commit(), file));
        for (String file : LocalModel.METADATA_FILES)
            if (info.files().contains(file)) etags.put(file, ensure(id, cache, info.commit(), file));
        return new Snapshot(id, info.commit(), LocalModel.resolve(cache.snapshotDir(info.commit())), etags);
    }

    private List<String> shardsNamedIn(Path index) throws IOException {
        JsonNode map = parse(Files.readString(index), index.toUri()).path("weight_map");
        if (!map.isObject() || map.isEmpty()) throw new LortException(index + ": has no weight_map");
        Set<String> shards = new TreeSet<>();
        map.forEach(v -> shards.add(HubPaths.checkRelative(v.asText(""), "shard name")));
        return List.copyOf(shards);
    }

    /**
     * Makes snapshots/{commit}/{file} present and returns its etag. A file already in the snapshot
     * costs nothing; otherwise one HEAD gives the etag, and the body is fetched only when that blob
     * is not in the cache yet.
     */
    private String ensure(HubId id, HubCache cache, String commit, String file) throws IOException {
        Path link = cache.snapshotFile(commit, file);
        boolean present = Files.isRegularFile(link);
        if (present) {
            Optional<String> etag = cache.etagOf(link);
            if (etag.isPresent()) return etag.get();
        }
        URI resolve = http.url(id.repoId() + "/resolve/" + HubHttp.encode(commit, false) + "/" + HubHttp.encode(file, true));
        RemoteFile remote = RemoteFile.probe(http, id, file, resolve);
        if (present) return remote.etag(); // a copy rather than a link (no symlinks here): keep it
        Path blob = cache.blob(remote.etag());
        if (!Files.isRegularFile(blob)) {
            var expected = new BlobDownloader.Expected(remote.size(), remote.sha256OrNull());
            cache.withBlobLock(remote.etag(), () -> { // another process may have finished it while we waited
                if (!Files.isRegularFile(blob)) downloader.download(remote.source(), file, expected, cache.incomplete(remote.etag()), blob);
            });
        }
        cache.link(commit, file, remote.etag());
        return remote.etag();
    }

    private JsonNode parse(String text, URI from) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new LortException(from + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }
}
