package ai.lort.serve;

import ai.lort.LortException;
import ai.lort.api.LortModel;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An OpenAI-compatible HTTP server for one {@link LortModel}, on Helidon SE's web server (every
 * request on its own virtual thread, which may block on the model). Routes: {@code GET /health},
 * {@code GET /v1/models}, {@code GET /v1/models/{id}}, {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} ({@link Completions}); everything else is a 404. Errors are
 * answered in the OpenAI API's JSON shape ({@link ApiError}). With an API key, every route but
 * {@code /health} needs {@code Authorization: Bearer KEY}.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Request bodies larger than this are refused (413) unless told otherwise. */
    public static final long DEFAULT_MAX_BODY_BYTES = 4L << 20;

    /**
     * Where and how to listen.
     *
     * @param host         the address to bind (127.0.0.1 unless told otherwise)
     * @param port         the TCP port; 0 picks a free one
     * @param apiKey       the key clients must send as a bearer token, or null for none
     * @param maxBodyBytes the largest request body accepted
     */
    public record Options(String host, int port, String apiKey, long maxBodyBytes) {}

    static final ObjectMapper JSON = new ObjectMapper();

    private final LortModel model;
    private final Options options;
    private final Completions completions;
    private final WebServer server;

    private OpenAiServer(LortModel model, Options options) {
        this.model = model;
        this.options = options;
        this.completions = new Completions(model);
        // Helidon logs every start and feature list through java.util.logging; warnings are enough here.
        Logger.getLogger("io.helidon").setLevel(Level.WARNING);
        this.server = WebServer.builder()
                .host(options.host())
                .port(options.port())
                .maxPayloadSize(options.maxBodyBytes())
                .shutdownHook(false)
                .routing(this::routes)
                .build();
    }

    /**
     * Starts serving {@code model}; returns once the server listens.
     *
     * @throws LortException when the address cannot be bound
     */
    public static OpenAiServer start(LortModel model, Options options) {
        OpenAiServer s = new OpenAiServer(model, options);
        try {
            s.server.start();
        } catch (RuntimeException e) {
            throw new LortException("cannot listen on " + options.host() + ":" + options.port() + " (" + e.getMessage() + ")", e);
        }
        return s;
    }

    /** The port it listens on. */
    public int port() { return server.port(); }

    /** {@code http://host:port}. */
    public String address() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + host + ":" + port();
    }

    private void routes(HttpRouting.Builder r) {
        r.addFilter((chain, req, res) -> {
            if (options.apiKey() != null && !req.path().path().equals("/health") && !authorized(req.headers().first(HeaderNames.AUTHORIZATION))) {
                send(res, new ApiError(401, "invalid_request_error", "a valid API key is needed: send the header 'Authorization: Bearer <key>'", null, "invalid_api_key"));
                return;
            }
            chain.proceed();
        });
        r.error(ApiError.class, (req, res, e) -> send(res, e));
        r.error(LortException.class, (req, res, e) -> send(res, ApiError.invalid(e.getMessage(), null)));
        r.error(RuntimeException.class, (req, res, e) -> send(res, new ApiError(500, "server_error", "internal error: " + e, null, null)));
        r.get("/health", (req, res) -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("status", "ok");
            o.put("model", model.id());
            o.put("parallel", model.parallel());
            o.put("active", model.activeGenerations());
            o.put("queued", model.queuedGenerations());
            json(res, o);
        });
        r.get("/v1/models", (req, res) -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("object", "list");
            o.putArray("data").add(modelJson());
            json(res, o);
        });
        r.get("/v1/models/{id}", (req, res) -> {
            checkModel(req.path().pathParameters().get("id"));
            json(res, modelJson());
        });
        r.post("/v1/chat/completions", (req, res) -> {
            CompletionRequest c = CompletionRequest.chat(body(req), model.contextLength());
            checkModel(c.model());
            completions.run(c, true, res);
        });
        r.post("/v1/completions", (req, res) -> {
            CompletionRequest c = CompletionRequest.text(body(req), model.contextLength());
            checkModel(c.model());
            completions.run(c, false, res);
        });
        r.any((req, res) -> send(res, new ApiError(404, "invalid_request_error",
                "no route " + req.prologue().method().text() + " " + req.path().path(), null, "unknown_url")));
    }

    private ObjectNode modelJson() {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", model.id());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "lort");
        return m;
    }

    private void checkModel(String id) {
        if (!model.id().equals(id))
            throw new ApiError(404, "invalid_request_error", "the model '" + id + "' does not exist; this server has '" + model.id() + "'", "model", "model_not_found");
    }

    /** Compares in constant time, so that the key cannot be guessed a character at a time. */
    private boolean authorized(Optional<String> header) {
        String want = "Bearer " + options.apiKey();
        return header.isPresent() && MessageDigest.isEqual(header.get().getBytes(StandardCharsets.UTF_8), want.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode body(ServerRequest req) {
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readAllBytes();
        } catch (IOException | RuntimeException e) {
            throw new ApiError(413, "invalid_request_error", "the request body could not be read or is larger than "
                    + options.maxBodyBytes() + " bytes", null, "request_too_large");
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw ApiError.invalid("the request body is not valid JSON", null);
        }
    }

    static void json(ServerResponse res, JsonNode body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void send(ServerResponse res, ApiError e) {
        if (res.isSent()) return;
        res.status(Status.create(e.status));
        json(res, e.json());
    }

    /** Stops listening; the model stays open. */
    @Override
    public void close() { server.stop(); }
}
