package ai.lort.util;

import ai.lort.LortException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * JSON read from a file that may be hostile (a safetensors header, a {@code .lort} index, a
 * config.json): the bytes must be valid UTF-8 (a bad byte is refused, not replaced by U+FFFD), an
 * object may not name a key twice (Jackson would keep the last one silently), nothing may follow
 * the document, and nesting, numbers and strings have bounds. Field readers check the type and
 * range of a value and name the field in their message.
 */
public final class StrictJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).build());
    }

    private StrictJson() {}

    /**
     * Parses {@code bytes} as one JSON value; {@code what} names the document in messages
     * ("config.json", "model.safetensors: header").
     */
    public static JsonNode parse(byte[] bytes, String what) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new LortException(what + " is not valid UTF-8 text");
        }
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (n == null || n.isMissingNode()) throw new LortException(what + " is empty (no JSON value)");
            return n;
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new LortException(what + " is not valid JSON (" + msg + ")");
        }
    }

    /** {@link #parse}, which must give an object. */
    public static JsonNode object(byte[] bytes, String what) {
        JsonNode n = parse(bytes, what);
        if (!n.isObject()) throw new LortException(what + " is not a JSON object");
        return n;
    }

    /** An integer field in {@code [min, max]}; {@code what} names the object in messages. */
    public static long integer(JsonNode object, String field, long min, long max, String what) {
        JsonNode n = object.get(field);
        if (n == null) throw new LortException(what + " has no '" + field + "'");
        return integerValue(n, min, max, what + " field '" + field + "'");
    }

    /** An integer in {@code [min, max]}; {@code what} names the value in messages. */
    public static long integerValue(JsonNode n, long min, long max, String what) {
        if (!n.isIntegralNumber() || !n.canConvertToLong())
            throw new LortException(what + " must be an integer, not " + describe(n));
        long v = n.longValue();
        if (v < min || v > max) throw new LortException(what + " is " + v + ", outside " + min + ".." + max);
        return v;
    }

    /** A text field. */
    public static String text(JsonNode object, String field, String what) {
        JsonNode n = object.get(field);
        if (n == null || !n.isTextual()) throw new LortException(what + " needs '" + field + "' as a string" + (n == null ? "" : ", not " + describe(n)));
        return n.textValue();
    }

    /** A short description of a JSON value for messages (its text, cut to 40 characters). */
    public static String describe(JsonNode n) {
        String s = n == null ? "nothing" : n.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
