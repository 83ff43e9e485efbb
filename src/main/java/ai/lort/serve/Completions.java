package ai.lort.serve;

import ai.lort.LortException;
import ai.lort.api.BusyException;
import ai.lort.api.Completion;
import ai.lort.api.FinishReason;
import ai.lort.api.Generation;
import ai.lort.api.LortModel;
import ai.lort.api.Token;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs a completion request on the model and answers it in the OpenAI shapes: one JSON document
 * ({@code chat.completion}, {@code text_completion}), or with {@code stream} Server-Sent Events,
 * {@code data: {chunk}} per piece of text, a last chunk with the finish reason, the usage chunk
 * when asked ({@code stream_options.include_usage}), then {@code data: [DONE]}. A client that goes
 * away mid-stream cancels its generation (the next write fails).
 */
final class Completions {
    private final LortModel model;

    Completions(LortModel model) { this.model = model; }

    void run(CompletionRequest r, boolean chat, ServerResponse res) {
        Generation g = start(r, chat);
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long created = System.currentTimeMillis() / 1000;
        if (!r.stream()) {
            Completion c = g.result();
            ObjectNode o = head(id, created, chat ? "chat.completion" : "text_completion");
            ObjectNode choice = o.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                ObjectNode m = choice.putObject("message");
                m.put("role", "assistant");
                m.put("content", c.text());
                m.putNull("refusal");
            } else {
                choice.put("text", c.text());
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(c.finishReason()));
            usage(o, c);
            OpenAiServer.json(res, o);
            return;
        }
        // The events are written here rather than through Helidon's SSE sink, which refuses a request
        // whose Accept header lacks text/event-stream (the Python openai client sends application/json).
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        try (g; OutputStream sink = res.outputStream()) {
            if (chat && !emit(sink, g, chunk(id, created, chat, r, "", true, null))) return;
            Completion c;
            try {
                for (Token t : g)
                    // every token is a chunk, even one whose text is still incomplete (clients can count and time them)
                    if ((t.id() >= 0 || !t.text().isEmpty()) && !emit(sink, g, chunk(id, created, chat, r, t.text(), false, null))) return;
                c = g.result();
            } catch (LortException e) {
                // the web server interrupts a handler whose client has gone; the model failing mid-stream ends it too
                return;
            }
            if (!emit(sink, g, chunk(id, created, chat, r, chat ? null : "", false, finishReason(c.finishReason())))) return;
            if (r.includeUsage()) {
                ObjectNode u = head(id, created, chat ? "chat.completion.chunk" : "text_completion");
                u.putArray("choices");
                usage(u, c);
                if (!emit(sink, g, u.toString())) return;
            }
            emit(sink, g, "[DONE]");
        } catch (IOException | UncheckedIOException e) {
            // closing the stream to a client that has gone
        }
    }

    /** Starts the generation, or answers why not: 400 for a prompt the model cannot take, 503 when every slot and the queue are full. */
    private Generation start(CompletionRequest r, boolean chat) {
        try {
            if (chat) {
                if (!model.hasChatTemplate())
                    throw ApiError.invalid("this model has no chat template; send a plain prompt to /v1/completions", "messages");
                return model.chat(r.messages(), r.options());
            }
            return r.prompt() != null ? model.generate(r.prompt(), r.options()) : model.generate(r.promptIds(), r.options());
        } catch (BusyException e) {
            throw new ApiError(503, "server_error", e.getMessage(), null, "server_busy");
        } catch (ApiError e) {
            throw e;
        } catch (LortException e) {
            throw ApiError.invalid(e.getMessage(), chat ? "messages" : "prompt");
        }
    }

    /** Sends one event; false (and the generation cancelled) when the client has gone. */
    private static boolean emit(OutputStream sink, Generation g, String data) {
        try {
            sink.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
            sink.flush();
            return true;
        } catch (IOException | RuntimeException e) {
            g.cancel();
            return false;
        }
    }

    private static ObjectNode head(String id, long created, String object) {
        ObjectNode o = OpenAiServer.JSON.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        return o;
    }

    /** One streamed chunk: a piece of text (null: none), the role on the first chat chunk, the finish reason on the last. */
    private String chunk(String id, long created, boolean chat, CompletionRequest r, String text, boolean first, String finish) {
        ObjectNode o = head(id, created, chat ? "chat.completion.chunk" : "text_completion");
        o.put("model", model.id());
        ArrayNode choices = o.putArray("choices");
        ObjectNode c = choices.addObject();
        c.put("index", 0);
        if (chat) {
            ObjectNode delta = c.putObject("delta");
            if (first) delta.put("role", "assistant");
            if (text != null) delta.put("content", text);
        } else {
            c.put("text", text);
        }
        c.putNull("logprobs");
        c.put("finish_reason", finish);
        if (r.includeUsage()) o.putNull("usage");
        try {
            return OpenAiServer.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void usage(ObjectNode o, Completion c) {
        o.put("model", model.id());
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", c.promptTokens());
        u.put("completion_tokens", c.tokens().length);
        u.put("total_tokens", c.promptTokens() + c.tokens().length);
    }

    static String finishReason(FinishReason r) {
        return switch (r) {
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case END_OF_SEQUENCE, STOP_SEQUENCE, CANCELLED -> "stop";
        };
    }
}
