package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code decoder} section of tokenizer.json. As in Hugging Face, each step maps the list of token
 * strings to a new list (Fuse joins them into one), and the text is the concatenation of the last list.
 */
final class Decoders {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    interface Step {
        List<String> apply(List<String> tokens);
    }

    private Decoders() {}

    static Step from(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return tokens -> List.of(String.join(" ", tokens));
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<Step> steps = new ArrayList<>();
                for (JsonNode child : n.path("decoders")) steps.add(from(child));
                yield tokens -> {
                    for (Step step : steps) tokens = step.apply(tokens);
                    return tokens;
                };
            }
            case "Replace" -> {
                Pattern pattern = Patterns.of(n.path("pattern"), "Replace decoder");
                String content = Matcher.quoteReplacement(n.path("content").asText());
                yield tokens -> tokens.stream().map(t -> Patterns.matcher(pattern, t).replaceAll(content)).toList();
            }
            case "ByteFallback" -> Decoders::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> {
                String content = n.path("content").asText(" ");
                int start = n.path("start").asInt(0), stop = n.path("stop").asInt(0);
                yield tokens -> tokens.stream().map(t -> strip(t, content, start, stop)).toList();
            }
            case "ByteLevel" -> tokens -> {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                for (String t : tokens) ByteLevel.appendBytes(t, bytes);
                return List.of(bytes.toString(StandardCharsets.UTF_8));
            };
            case "Metaspace" -> {
                String replacement = n.path("replacement").asText("\u2581");
                String scheme = n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                yield tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        String t = tokens.get(i).replace(replacement, " ");
                        if (i == 0 && !scheme.equals("never") && t.startsWith(" ")) t = t.substring(1);
                        out.add(t);
                    }
                    return out;
                };
            }
            default -> throw new LortException("tokenizer.json: decoder type " + type + " is not supported");
        };
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of {@code content}. */
    private static String strip(String t, String content, int start, int stop) {
        int from = 0, to = t.length();
        for (int i = 0; i < start && t.startsWith(content, from) && from + content.length() <= to; i++) from += content.length();
        for (int i = 0; i < stop && to - content.length() >= from && t.startsWith(content, to - content.length()); i++)
            to -= content.length();
        return t.substring(from, to);
    }

    /**
     * Runs of {@code <0xXX>} tokens become the text their bytes spell; a run that is not valid UTF-8
     * becomes one U+FFFD per byte, as Hugging Face does.
     */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        int runLength = 0;
        for (String t : tokens) {
            Matcher m = BYTE_TOKEN.matcher(t);
            if (t.length() == 6 && m.matches()) {
                run.write(Integer.parseInt(m.group(1), 16));
                runLength++;
                continue;
            }
            if (runLength > 0) {
                flush(run.toByteArray(), out);
                run.reset();
                runLength = 0;
            }
            out.add(t);
        }
        if (runLength > 0) flush(run.toByteArray(), out);
        return out;
    }

    private static void flush(byte[] bytes, List<String> out) {
        try {
            out.add(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            for (int i = 0; i < bytes.length; i++) out.add("\uFFFD");
        }
    }
}
