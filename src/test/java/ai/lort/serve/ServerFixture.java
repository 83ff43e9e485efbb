package ai.lort.serve;

import ai.lort.api.Device;
import ai.lort.api.LortModel;
import ai.lort.api.ModelOptions;
import ai.lort.testing.SharedData;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * stories260K (a real tiny Llama) copied with a chat template in its tokenizer_config.json, opened
 * through the API and served on a free loopback port.
 */
final class ServerFixture implements AutoCloseable {
    static final String KEY = "test-key";
    /** A ChatML-like template written in the Jinja of Hugging Face chat templates. */
    static final String TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\\n{% endfor %}"
            + "{% if add_generation_prompt %}assistant:{% endif %}";

    final Path dir;
    final LortModel model;
    final OpenAiServer server;

    ServerFixture(Path tmp, int parallel, int queue, String key) throws IOException {
        Path src = SharedData.require("models/stories260K");
        dir = Files.createDirectories(tmp.resolve("stories-chat"));
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "special_tokens_map.json"})
            Files.copy(src.resolve(f), dir.resolve(f));
        String config = Files.readString(src.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), config.replaceFirst("\\{", "{\"chat_template\": \"" + TEMPLATE + "\", "));
        model = LortModel.open(dir.toString(), ModelOptions.builder().threads(2).parallel(parallel).queue(queue).device(Device.CPU).messages(null).build());
        server = OpenAiServer.start(model, new OpenAiServer.Options("127.0.0.1", 0, key, 64 * 1024));
    }

    String base() { return server.address(); }

    OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(base() + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    /** A raw request (for what the client never sends), with header name-value pairs: status and body. */
    HttpResponse<String> raw(String method, String path, String body, String key, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return send(b, key);
    }

    /** As {@link #raw}, the body sent in chunks (no Content-Length): the server finds its size only by reading it. */
    HttpResponse<String> chunked(String path, String body, String key) throws Exception {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)));
        return send(b, key);
    }

    private static HttpResponse<String> send(HttpRequest.Builder b, String key) throws Exception {
        if (key != null) b.header("Authorization", "Bearer " + key);
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Override
    public void close() {
        server.close();
        model.close();
    }
}
