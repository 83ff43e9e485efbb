package ai.lort.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.testing.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server driven by the official OpenAI Java client over loopback HTTP. */
class OpenAiServerTest {
    @TempDir static Path tmp;
    static ServerFixture fx;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        fx = new ServerFixture(tmp, 4, 8, ServerFixture.KEY);
        client = fx.client(ServerFixture.KEY);
    }

    @AfterAll
    static void stop() {
        if (fx != null) fx.close();
    }

    static String id() { return fx.model.id(); }

    /** What {@code lort infer} prints for the prompt at temperature 0, without the echoed prompt and the final newline. */
    static String infer(String prompt, int tokens, String... extra) {
        List<String> args = new ArrayList<>(List.of("infer", "--model", fx.dir.toString(), "--prompt", prompt, "--temperature", "0",
                "--max-tokens", "" + tokens, "--device", "cpu", "--threads", "1"));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        String out = r.out().substring(0, r.out().length() - 1); // println
        return extra.length > 0 ? out : out.substring(prompt.length());
    }

    static CompletionCreateParams completion(String prompt, int tokens) {
        return CompletionCreateParams.builder().model(id()).prompt(prompt).maxTokens(tokens).temperature(0).build();
    }

    @Test
    void listsItsModel() {
        assertThat(client.models().list().data()).extracting(m -> m.id()).containsExactly(id());
        assertThat(client.models().retrieve(id()).id()).isEqualTo(id());
    }

    @Test
    void aGreedyCompletionIsWhatLortInferPrints() {
        String prompt = "Once upon a time, a little dog";
        String want = infer(prompt, 40);
        Completion c = client.completions().create(completion(prompt, 40));
        assertThat(c.choices().get(0).text()).isEqualTo(want);
        assertThat(c.choices().get(0).finishReason()).isEqualTo(com.openai.models.completions.CompletionChoice.FinishReason.LENGTH);
        assertThat(c.usage().get().completionTokens()).isEqualTo(40);
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(completion(prompt, 40))) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(want);
    }

    @Test
    void chatGoesThroughTheTemplateAndStreams() {
        String want = infer("Tell me a story.", 30, "--chat");
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(id()).addUserMessage("Tell me a story.")
                .maxCompletionTokens(30).temperature(0).build();
        ChatCompletion c = client.chat().completions().create(params);
        assertThat(c.choices().get(0).message().content()).contains(want);
        assertThat(c.usage().get().promptTokens()).isEqualTo(fx.model.tokenize(fx.model.chatPrompt(List.of(ai.lort.api.ChatMessage.user("Tell me a story."))), false).length);
        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams streaming = params.toBuilder().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(streaming)) {
            s.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append));
            });
        }
        assertThat(streamed.toString()).isEqualTo(want);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().get().completionTokens()).isEqualTo(c.usage().get().completionTokens());
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason()).isPresent();
    }

    @Test
    void aStreamIsSentWhateverTheRequestAccepts() throws Exception {
        // The Python openai client sends Accept: application/json with stream: true too.
        String body = "{\"model\":\"" + id() + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0,\"stream\":true}";
        for (String accept : new String[] {"application/json", "text/event-stream", "*/*"}) {
            HttpResponse<String> r = fx.raw("POST", "/v1/completions", body, ServerFixture.KEY, "Accept", accept);
            assertThat(r.statusCode()).as(accept + ": " + r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
            assertThat(r.body()).startsWith("data: {").endsWith("\n\ndata: [DONE]\n\n");
            assertThat(r.body().split("\n\n")).hasSize(5 + 2); // a chunk per token, the finish reason, [DONE]
        }
    }

    @Test
    void aStopSequenceEndsTheText() {
        String prompt = "Once upon a time";
        String full = infer(prompt, 30);
        String stop = full.substring(10, 14);
        Completion c = client.completions().create(completion(prompt, 30).toBuilder().stop(stop).build());
        assertThat(c.choices().get(0).text()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(c.choices().get(0).finishReason()).isEqualTo(com.openai.models.completions.CompletionChoice.FinishReason.STOP);
    }

    @Test
    void badRequestsAreTypedErrors() throws Exception {
        assertThatThrownBy(() -> client.completions().create(completion("Hi", 5).toBuilder().temperature(5).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("temperature"));
        assertThatThrownBy(() -> client.completions().create(completion("Hi", 5).toBuilder().model("gpt-4o").build()))
                .isInstanceOf(NotFoundException.class);
        String tooLong = "Once upon a time ".repeat(200);
        assertThatThrownBy(() -> client.completions().create(completion(tooLong, 5))).isInstanceOfSatisfying(BadRequestException.class,
                e -> assertThat(e.getMessage()).contains("context"));
        // What the client never sends: a missing field, a wrong type, a route that does not exist, a body over the limit.
        JsonNode missing = json(fx.raw("POST", "/v1/chat/completions", "{\"model\":\"" + id() + "\"}", ServerFixture.KEY), 400);
        assertThat(missing.path("error").path("param").asText()).isEqualTo("messages");
        assertThat(missing.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        JsonNode wrong = json(fx.raw("POST", "/v1/completions", "{\"model\":\"" + id() + "\",\"prompt\":\"a\",\"max_tokens\":\"ten\"}", ServerFixture.KEY), 400);
        assertThat(wrong.path("error").path("param").asText()).isEqualTo("max_tokens");
        json(fx.raw("POST", "/v1/completions", "{not json", ServerFixture.KEY), 400);
        json(fx.raw("POST", "/v1/completions", "{\"model\":\"" + id() + "\",\"prompt\":\"a\",\"n\":2}", ServerFixture.KEY), 400);
        json(fx.raw("GET", "/v1/nothing", null, ServerFixture.KEY), 404);
        // (With a Content-Length over the limit the web server itself answers 413 before reading, with no body.)
        JsonNode big = json(fx.chunked("/v1/completions", "{\"prompt\":\"" + "a".repeat(70_000) + "\"}", ServerFixture.KEY), 413);
        assertThat(big.path("error").path("code").asText()).isEqualTo("request_too_large");
    }

    static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode n = new ObjectMapper().readTree(r.body());
        assertThat(n.path("error").path("message").isTextual()).as(r.body()).isTrue();
        assertThat(n.path("error").has("code")).isTrue();
        return n;
    }

    @Test
    void theApiKeyIsChecked() throws Exception {
        assertThatThrownBy(() -> fx.client("wrong").models().list()).isInstanceOf(UnauthorizedException.class);
        json(fx.raw("GET", "/v1/models", null, null), 401);
        assertThat(fx.raw("GET", "/health", null, null).statusCode()).isEqualTo(200);
    }

    /** Four clients at once, each with its own prompt: each gets what it gets alone. */
    @Test
    void concurrentRequestsGetWhatTheyGetAlone() throws Exception {
        String[] prompts = {"The cat", "Lily and Tom went", "One day, the sun", "Bob had a big red"};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) alone[i] = client.completions().create(completion(prompts[i], 24 + i)).choices().get(0).text();
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<String>> together = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                int k = i;
                together.add(pool.submit(() -> client.completions().create(completion(prompts[k], 24 + k)).choices().get(0).text()));
            }
            for (int i = 0; i < prompts.length; i++) assertThat(together.get(i).get()).isEqualTo(alone[i]);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A client that hangs up mid-stream: its generation stops, and the server goes on serving. */
    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(id()).addUserMessage("Go on forever.")
                .maxCompletionTokens(100_000).temperature(1.0).seed(5).build();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            Iterator<ChatCompletionChunk> it = s.stream().iterator();
            for (int i = 0; i < 3; i++) it.next();
            assertThat(fx.model.activeGenerations()).isEqualTo(1);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (fx.model.activeGenerations() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(fx.model.activeGenerations()).isZero();
        assertThat(client.completions().create(completion("The end", 3)).choices().get(0).text()).isNotEmpty();
    }

    /** One slot and no queue: a second request while the first streams gets 503. */
    @Test
    void aFullQueueAnswers503() throws Exception {
        try (ServerFixture small = new ServerFixture(tmp.resolve("small"), 1, 0, null)) {
            OpenAIClient c = small.client("none");
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(small.model.id()).addUserMessage("Go on.")
                    .maxCompletionTokens(100_000).build();
            try (StreamResponse<ChatCompletionChunk> s = c.chat().completions().createStreaming(params)) {
                s.stream().iterator().next();
                assertThatThrownBy(() -> c.completions().create(CompletionCreateParams.builder().model(small.model.id()).prompt("Hi").maxTokens(2).build()))
                        .isInstanceOfSatisfying(InternalServerException.class, e -> assertThat(e.statusCode()).isEqualTo(503));
            }
        }
    }
}
