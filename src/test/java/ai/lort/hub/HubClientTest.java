package ai.lort.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.load.LocalModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubClientTest {
    static final String ID = "tiny-org/tiny-model";
    static final byte[] CONFIG = "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8);
    static final byte[] TOKENIZER = "{\"model\":{}}".getBytes(StandardCharsets.UTF_8);
    static final byte[] WEIGHTS = FakeHub.randomBytes(300_000, 1);

    @TempDir Path tmp;
    FakeHub hub;
    Path cache;
    Path repoDir;
    final List<Duration> backoffs = new ArrayList<>();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final DownloadPolicy policy = new DownloadPolicy(5, Duration.ofMillis(1), backoffs::add, Duration.ofMillis(300));

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("hf/hub");
        repoDir = cache.resolve("models--tiny-org--tiny-model");
    }

    @AfterEach
    void stop() { hub.close(); }

    HubClient anonymousClient() { return client((String) null); }

    HubClient client(String token) { return clientFor(hub.env(cache, token, false)); }

    HubClient clientFor(HubEnvironment env) {
        return new HubClient(env, true, new PrintStream(stderr, true, StandardCharsets.UTF_8), policy);
    }

    static Map<String, byte[]> files(Object... nameThenContent) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenContent.length; i += 2) m.put((String) nameThenContent[i], (byte[]) nameThenContent[i + 1]);
        return m;
    }

    String publishTinyModel() {
        return hub.repo(ID).commit("main", files("config.json", CONFIG, "tokenizer.json", TOKENIZER,
                "model.safetensors", WEIGHTS, "README.md", "# hi".getBytes(StandardCharsets.UTF_8),
                "onnx/model.safetensors", FakeHub.randomBytes(10, 2)));
    }

    @Test
    void coldDownloadWritesHuggingFaceLayoutThenWarmRunFetchesNoBody() throws IOException {
        String sha = publishTinyModel();
        HubClient.Snapshot cold = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());

        String weightsEtag = FakeHub.sha256(WEIGHTS);
        String configEtag = FakeHub.gitBlobSha1(CONFIG);
        assertThat(cold.commit()).isEqualTo(sha);
        assertThat(cold.etags()).containsExactly(Map.entry("model.safetensors", weightsEtag),
                Map.entry("config.json", configEtag), Map.entry("tokenizer.json", FakeHub.gitBlobSha1(TOKENIZER)));
        assertThat(Files.readString(repoDir.resolve("refs/main"))).isEqualTo(sha); // no newline
        Path snapshot = repoDir.resolve("snapshots").resolve(sha);
        assertThat(Files.readSymbolicLink(snapshot.resolve("model.safetensors"))).isEqualTo(Path.of("../../blobs/" + weightsEtag));
        assertThat(Files.readSymbolicLink(snapshot.resolve("config.json"))).isEqualTo(Path.of("../../blobs/" + configEtag));
        assertThat(repoDir.resolve("blobs/" + weightsEtag)).hasBinaryContent(WEIGHTS);
        assertThat(cold.model().weightFiles()).containsExactly(snapshot.resolve("model.safetensors"));
        assertThat(cold.model().metadataDir()).isEqualTo(snapshot);
        assertThat(hub.requests).noneMatch(r -> r.path().contains("README") || r.path().contains("onnx"));
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs).noneMatch(p -> p.toString().endsWith(".incomplete"));
        }

        hub.requests.clear();
        HubClient.Snapshot warm = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(warm.etags()).isEqualTo(cold.etags());
        assertThat(hub.requests).extracting(FakeHub.Request::path).containsExactly("/api/models/" + ID + "/revision/main");

        // a snapshot folder gone but blobs kept: metadata calls only, still no body
        deleteTree(snapshot);
        hub.requests.clear();
        anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(hub.bodyFetches()).isEmpty();
        assertThat(snapshot.resolve("model.safetensors")).hasBinaryContent(WEIGHTS);
    }

    @Test
    void offlineModeUsesTheCacheWithoutAnyRequest() {
        String sha = publishTinyModel();
        anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        hub.requests.clear();

        HubClient.Snapshot offline = clientFor(hub.env(cache, null, true)).fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(offline.commit()).isEqualTo(sha);
        assertThat(offline.etags()).containsEntry("model.safetensors", FakeHub.sha256(WEIGHTS));
        assertThat(hub.requests).isEmpty();
    }

    @Test
    void offlineModeWithNothingCachedSaysWhatToDo() {
        publishTinyModel();
        assertThatThrownBy(() -> clientFor(hub.env(cache, null, true)).fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("not in the cache");
        assertThat(hub.requests).isEmpty();
    }

    @Test
    void pinnedRevisionDownloadsThatCommitAndLaterNeedsNoNetwork() {
        byte[] oldConfig = "{\"old\":true}".getBytes(StandardCharsets.UTF_8);
        String old = hub.repo(ID).commit(null, files("config.json", oldConfig, "model.safetensors", WEIGHTS));
        publishTinyModel();

        HubClient.Snapshot pinned = anonymousClient().fetch(HubId.parse(ID + "@" + old, null).orElseThrow());
        assertThat(pinned.commit()).isEqualTo(old);
        assertThat(pinned.model().metadataDir().resolve("config.json")).hasBinaryContent(oldConfig);
        assertThat(repoDir.resolve("refs")).doesNotExist(); // a sha is its own ref
        assertThat(hub.requests).anyMatch(r -> r.path().equals("/api/models/" + ID + "/revision/" + old));

        hub.requests.clear();
        HubClient.Snapshot again = anonymousClient().fetch(HubId.parse(ID, old).orElseThrow());
        assertThat(again.etags()).isEqualTo(pinned.etags());
        assertThat(hub.requests).isEmpty();
    }

    @Test
    void indexFetchesOnlyTheShardsItNames() {
        byte[] shard1 = FakeHub.randomBytes(1000, 3), shard2 = FakeHub.randomBytes(800, 4);
        byte[] index = ("{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00002-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}").getBytes(StandardCharsets.UTF_8);
        String sha = hub.repo(ID).commit("main", files("config.json", CONFIG, LocalModel.INDEX, index,
                "model-00001-of-00002.safetensors", shard1, "model-00002-of-00002.safetensors", shard2,
                "consolidated.safetensors", FakeHub.randomBytes(500, 5)));

        HubClient.Snapshot s = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        Path snapshot = repoDir.resolve("snapshots").resolve(sha);
        assertThat(s.model().weightFiles()).containsExactly(snapshot.resolve("model-00001-of-00002.safetensors"),
                snapshot.resolve("model-00002-of-00002.safetensors"));
        assertThat(s.etags()).containsKeys(LocalModel.INDEX, "config.json").doesNotContainKey("consolidated.safetensors");
        assertThat(hub.requests).noneMatch(r -> r.path().contains("consolidated"));
        assertThat(snapshot.resolve("model-00002-of-00002.safetensors")).hasBinaryContent(shard2);
    }

    @Test
    void droppedConnectionResumesWithRange() {
        publishTinyModel();
        hub.dropOnce.put(FakeHub.sha256(WEIGHTS), 100_000);

        HubClient.Snapshot s = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
        List<FakeHub.Request> storage = hub.on("storage");
        assertThat(storage).hasSize(2);
        assertThat(storage.getFirst().range()).isNull();
        // It resumes from the bytes it got: up to the 100,000 the server sent before cutting the
        // connection (a cut can lose the tail still in flight; 98,224 arrived once in CI).
        String resume = storage.get(1).range();
        assertThat(resume).matches("bytes=\\d+-");
        assertThat(Long.parseLong(resume.replaceAll("\\D", ""))).isBetween(1L, 100_000L);
        assertThat(backoffs).hasSize(1);
    }

    @Test
    void retriesRunOutWithAClearErrorAndTheNextRunResumes() throws IOException {
        publishTinyModel();
        String sha256 = FakeHub.sha256(WEIGHTS);
        hub.dropAlways.add(sha256);

        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("model.safetensors")
                .hasMessageContaining("failed after 5 attempts").hasMessageContaining("run again to resume");
        assertThat(backoffs).containsExactly(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(4), Duration.ofMillis(8));
        assertThat(Files.size(repoDir.resolve("blobs/" + sha256 + ".incomplete"))).isEqualTo(5000);

        hub.dropAlways.clear();
        hub.requests.clear();
        HubClient.Snapshot s = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
        assertThat(hub.on("storage")).extracting(FakeHub.Request::range).containsExactly("bytes=5000-");
    }

    @Test
    void showsOneProgressBarPerFileUnlessQuiet() {
        publishTinyModel();
        System.setProperty("lort.progress", "lines"); // stderr is no terminal here: by default nothing is drawn
        try {
            new HubClient(hub.env(cache, null, false), false, new PrintStream(stderr, true, StandardCharsets.UTF_8), policy)
                    .fetch(HubId.parse(ID, null).orElseThrow());
        } finally {
            System.clearProperty("lort.progress");
        }
        String log = stderr.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("model.safetensors [").contains("config.json [").contains("100%").contains("/s").contains("ETA");

        stderr.reset();
        deleteTree(repoDir);
        anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(stderr.size()).isZero();
    }

    @Test
    void drawsNothingWhenStderrIsNotATerminal() {
        publishTinyModel();
        new HubClient(hub.env(cache, null, false), false, new PrintStream(stderr, true, StandardCharsets.UTF_8), policy)
                .fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(stderr.toString(StandardCharsets.UTF_8)).doesNotContain("[").doesNotContain("ETA");
    }

    @Test
    void stalledConnectionIsDroppedAndResumed() {
        publishTinyModel();
        hub.stallOnce.put(FakeHub.sha256(WEIGHTS), 70_000);

        HubClient.Snapshot s = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
        assertThat(hub.on("storage")).extracting(FakeHub.Request::range).containsExactly(null, "bytes=70000-");
    }

    @Test
    void listedFileMissingOnTheServerIsReported() {
        publishTinyModel();
        hub.repo(ID).extraSiblings.add("generation_config.json"); // listed, but resolve answers EntryNotFound
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("'generation_config.json' is not on the server");
    }

    @Test
    void resumeAnsweredWithTheWholeFileStartsOver() {
        publishTinyModel();
        hub.dropOnce.put(FakeHub.sha256(WEIGHTS), 50_000);
        hub.ignoreRange = true;

        HubClient.Snapshot s = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
        assertThat(hub.on("storage")).hasSize(2);
    }

    @Test
    void corruptedBodyIsDeletedAndReported() throws IOException {
        publishTinyModel();
        hub.corrupt.add(FakeHub.sha256(WEIGHTS));

        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("model.safetensors").hasMessageContaining("corrupt");
        try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
            assertThat(blobs).noneMatch(p -> p.getFileName().toString().startsWith(FakeHub.sha256(WEIGHTS)));
        }
        assertThat(repoDir.resolve("refs/main")).doesNotExist();
    }

    @Test
    void gatedModelNeedsTheRightToken() {
        publishTinyModel();
        hub.repo(ID).allowedToken = "hf_granted";
        hub.validTokens.addAll(List.of("hf_granted", "hf_not_accepted"));
        HubId id = HubId.parse(ID, null).orElseThrow();

        assertThatThrownBy(() -> anonymousClient().fetch(id)).isInstanceOf(LortException.class)
                .hasMessageContaining("gated").hasMessageContaining("accept its licence").hasMessageContaining("HF_TOKEN");
        assertThatThrownBy(() -> client("hf_wrong_token").fetch(id)).isInstanceOf(LortException.class)
                .hasMessageContaining("token was refused").hasMessageNotContaining("hf_wrong_token");
        assertThatThrownBy(() -> client("hf_not_accepted").fetch(id)).isInstanceOf(LortException.class)
                .hasMessageContaining("accept its licence").hasMessageNotContaining("hf_not_accepted");
        assertThat(client("hf_granted").fetch(id).model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
    }

    @Test
    void tokenGoesToTheHubButNeverToTheRedirectHost() {
        publishTinyModel();
        hub.validTokens.add("hf_secret");

        client("hf_secret").fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(hub.on("hub")).isNotEmpty().allMatch(r -> "Bearer hf_secret".equals(r.authorization()));
        assertThat(hub.on("storage")).isNotEmpty().allMatch(r -> r.authorization() == null);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).doesNotContain("hf_secret");
    }

    @Test
    void mirrorRedirectWithoutLinkedHeadersIsAskedDirectly() {
        publishTinyModel();
        hub.plainRedirects = true;
        hub.validTokens.add("hf_secret");

        HubClient.Snapshot s = client("hf_secret").fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.etags()).containsEntry("model.safetensors", FakeHub.sha256(WEIGHTS));
        assertThat(s.model().weightFiles().getFirst()).hasBinaryContent(WEIGHTS);
        assertThat(hub.on("storage")).extracting(FakeHub.Request::method).containsExactly("HEAD", "GET");
        assertThat(hub.on("storage")).allMatch(r -> r.authorization() == null);
    }

    @Test
    void hostileFileNamesAreRefused() {
        publishTinyModel();
        hub.repo(ID).extraSiblings.add("../../../escaped.safetensors");
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("unsafe");

        hub.repo(ID).extraSiblings.clear();
        hub.repo(ID).extraSiblings.add("/etc/escaped.safetensors");
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("unsafe");
        assertThat(tmp.resolve("escaped.safetensors")).doesNotExist();
        assertThat(hub.bodyFetches()).isEmpty();
    }

    @Test
    void hostileShardNameInIndexAndHostileEtagAreRefused() {
        byte[] index = "{\"weight_map\":{\"a\":\"../../../../escaped.safetensors\"}}".getBytes(StandardCharsets.UTF_8);
        hub.repo(ID).commit("main", files("config.json", CONFIG, LocalModel.INDEX, index));
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("unsafe shard name");

        hub.repo("evil/etag").commit("main", files("model.safetensors", WEIGHTS));
        hub.repo("evil/etag").etagOverrides.put("model.safetensors", "../../../escaped");
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse("evil/etag", null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("unsafe etag");
        assertThat(tmp.resolve("escaped")).doesNotExist();
    }

    @Test
    void cacheWrittenByPythonHuggingFaceHubIsReused() throws IOException {
        String sha = publishTinyModel();
        // the layout huggingface_hub leaves behind, built by hand
        String weightsEtag = FakeHub.sha256(WEIGHTS), configEtag = FakeHub.gitBlobSha1(CONFIG);
        Files.createDirectories(repoDir.resolve("blobs"));
        Files.write(repoDir.resolve("blobs").resolve(weightsEtag), WEIGHTS);
        Files.write(repoDir.resolve("blobs").resolve(configEtag), CONFIG);
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), sha);
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(sha));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/" + weightsEtag));
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/" + configEtag));

        HubClient.Snapshot offline = clientFor(hub.env(cache, null, true)).fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(offline.etags()).containsEntry("model.safetensors", weightsEtag).containsEntry("config.json", configEtag);
        assertThat(hub.requests).isEmpty();

        HubClient.Snapshot online = anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(online.commit()).isEqualTo(sha);
        // only the tokenizer, which Python had not fetched, costs a body
        assertThat(hub.bodyFetches()).extracting(FakeHub.Request::path).allMatch(p -> p.endsWith("/tokenizer.json"));
        assertThat(Files.readSymbolicLink(snapshot.resolve("tokenizer.json"))).isEqualTo(Path.of("../../blobs/" + FakeHub.gitBlobSha1(TOKENIZER)));
    }

    @Test
    void networkDownFallsBackToACompleteCachedSnapshot() throws IOException {
        String sha = publishTinyModel();
        anonymousClient().fetch(HubId.parse(ID, null).orElseThrow());
        HubEnvironment down = new HubEnvironment(deadEndpoint(), cache, false, null, tmp);

        HubClient.Snapshot s = clientFor(down).fetch(HubId.parse(ID, null).orElseThrow());
        assertThat(s.commit()).isEqualTo(sha);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("cannot reach").contains("using the cached snapshot " + sha);

        assertThatThrownBy(() -> clientFor(down).fetch(HubId.parse("other/model", null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("cannot reach").hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void missingRepoAndRevisionSayWhatToDo() {
        publishTinyModel();
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse("nobody/nothing", null).orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("nobody/nothing").hasMessageContaining("HF_TOKEN");
        assertThatThrownBy(() -> anonymousClient().fetch(HubId.parse(ID, "v9.9").orElseThrow()))
                .isInstanceOf(LortException.class).hasMessageContaining("no revision 'v9.9'");
    }

    @Test
    void revisionIsUrlEncodedAndItsRefKeptUnderItsName() throws IOException {
        String sha = hub.repo(ID).commit("refs/pr/1", files("config.json", CONFIG, "model.safetensors", WEIGHTS));
        anonymousClient().fetch(HubId.parse(ID, "refs/pr/1").orElseThrow());
        assertThat(hub.requests.getFirst().path()).isEqualTo("/api/models/" + ID + "/revision/refs%2Fpr%2F1");
        assertThat(Files.readString(repoDir.resolve("refs/refs/pr/1"))).isEqualTo(sha);
    }

    private static URI deadEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
