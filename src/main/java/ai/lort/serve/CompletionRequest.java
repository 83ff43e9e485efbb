package ai.lort.serve;

import ai.lort.LortException;
import ai.lort.api.ChatMessage;
import ai.lort.api.GenerationOptions;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/chat/completions} or {@code /v1/completions} body, read and checked: the
 * messages (chat) or the prompt, the generation options, streaming. Fields the server does not
 * implement (penalties, logit_bias, user, ...) are accepted and ignored, as llama.cpp's server does;
 * a known field of the wrong type or out of range is a 400 naming it.
 *
 * @param prompt     the prompt text (completions), or null
 * @param promptIds  the prompt as token ids (completions), or null
 * @param messages   the conversation (chat), or null
 * @param maxTokens  the most tokens to generate; absent: until the end of the context
 */
record CompletionRequest(String model, List<ChatMessage> messages, String prompt, int[] promptIds, GenerationOptions options,
                         boolean stream, boolean includeUsage) {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    /** Reads a chat completion request. */
    static CompletionRequest chat(JsonNode body, int context) {
        object(body);
        JsonNode ms = body.get("messages");
        if (ms == null || ms.isNull()) throw ApiError.invalid("'messages' is required", "messages");
        if (!ms.isArray() || ms.isEmpty()) throw ApiError.invalid("'messages' must be a non-empty array", "messages");
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) messages.add(message(ms.get(i), "messages[" + i + "]"));
        return new CompletionRequest(model(body), messages, null, null, options(body, context), bool(body, "stream"), includeUsage(body));
    }

    /** Reads a (legacy) completion request: the prompt a string, one string in an array, or an array of token ids. */
    static CompletionRequest text(JsonNode body, int context) {
        object(body);
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) throw ApiError.invalid("'prompt' is required", "prompt");
        String prompt = null;
        int[] ids = null;
        if (p.isTextual()) prompt = p.asText();
        else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) prompt = p.get(0).asText();
        else if (p.isArray() && !p.isEmpty()) {
            ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!p.get(i).canConvertToInt() || !p.get(i).isIntegralNumber()) throw ApiError.invalid("'prompt' must be a string, or an array of one string or of token ids", "prompt");
                ids[i] = p.get(i).intValue();
            }
        } else throw ApiError.invalid("'prompt' must be a string, or an array of one string or of token ids", "prompt");
        if (prompt != null && prompt.isEmpty()) throw ApiError.invalid("'prompt' is empty", "prompt");
        return new CompletionRequest(model(body), null, prompt, ids, options(body, context), bool(body, "stream"), includeUsage(body));
    }

    private static void object(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiError.invalid("the request body must be a JSON object", null);
    }

    private static String model(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || m.isNull()) throw ApiError.invalid("'model' is required", "model");
        if (!m.isTextual()) throw ApiError.invalid("'model' must be a string", "model");
        return m.asText();
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (!m.isObject()) throw ApiError.invalid(where + " must be an object", where);
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText()))
            throw ApiError.invalid(where + ".role must be one of " + String.join(", ", ROLES.stream().sorted().toList()), where + ".role");
        JsonNode c = m.get("content");
        String content;
        if (c == null || c.isNull()) content = "";
        else if (c.isTextual()) content = c.asText();
        else if (c.isArray()) {
            // Content parts: only text parts can be read by a text model.
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual())
                    throw ApiError.invalid(where + ".content: only text parts are supported", where + ".content");
                sb.append(part.get("text").asText());
            }
            content = sb.toString();
        } else throw ApiError.invalid(where + ".content must be a string or an array of text parts", where + ".content");
        String r = role.asText().equals("developer") ? "system" : role.asText();
        return new ChatMessage(r, content);
    }

    private static GenerationOptions options(JsonNode body, int context) {
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) throw ApiError.invalid("only n = 1 is supported", "n");
        Integer max = integer(body, "max_completion_tokens");
        if (max == null) max = integer(body, "max_tokens");
        String maxName = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (max != null && max < 1) throw ApiError.invalid("'" + maxName + "' must be at least 1", maxName);
        Double temperature = number(body, "temperature"), topP = number(body, "top_p");
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) throw ApiError.invalid("'temperature' must be between 0 and 2", "temperature");
        if (topP != null && !(topP >= 0 && topP <= 1)) throw ApiError.invalid("'top_p' must be between 0 and 1", "top_p");
        Integer topK = integer(body, "top_k");
        if (topK != null && topK < 0) throw ApiError.invalid("'top_k' must be 0 or more", "top_k");
        GenerationOptions.Builder b = GenerationOptions.builder()
                .maxTokens(max != null ? max : context)
                .temperature(temperature != null ? temperature.floatValue() : 1f)
                .topP(topP != null ? (float) Math.max(topP, 1e-6) : 1f)
                .topK(topK != null ? topK : 0)
                .stop(stop(body.get("stop")));
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull()) {
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) throw ApiError.invalid("'seed' must be an integer", "seed");
            b.seed(seed.asLong());
        }
        try {
            return b.build();
        } catch (LortException e) {
            throw ApiError.invalid(e.getMessage(), null);
        }
    }

    private static List<String> stop(JsonNode s) {
        if (s == null || s.isNull()) return List.of();
        if (s.isTextual()) return s.asText().isEmpty() ? List.of() : List.of(s.asText());
        if (!s.isArray() || s.size() > 4) throw ApiError.invalid("'stop' must be a string or an array of up to 4 strings", "stop");
        List<String> out = new ArrayList<>();
        for (JsonNode e : s) {
            if (!e.isTextual()) throw ApiError.invalid("'stop' must be a string or an array of up to 4 strings", "stop");
            if (!e.asText().isEmpty()) out.add(e.asText());
        }
        return out;
    }

    private static boolean includeUsage(JsonNode body) {
        JsonNode o = body.get("stream_options");
        if (o == null || o.isNull()) return false;
        if (!o.isObject()) throw ApiError.invalid("'stream_options' must be an object", "stream_options");
        return bool(o, "include_usage");
    }

    private static boolean bool(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiError.invalid("'" + name + "' must be a boolean", name);
        return v.asBoolean();
    }

    private static Integer integer(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber()) throw ApiError.invalid("'" + name + "' must be an integer", name);
        if (!v.canConvertToInt()) throw ApiError.invalid("'" + name + "' is out of range", name);
        return v.intValue();
    }

    private static Double number(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw ApiError.invalid("'" + name + "' must be a number", name);
        return v.asDouble();
    }
}
