package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;

/** The {@code normalizer} section of tokenizer.json: a text-to-text function applied before splitting. */
final class Normalizers {
    private Normalizers() {}

    static UnaryOperator<String> from(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return UnaryOperator.identity();
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (JsonNode child : n.path("normalizers")) steps.add(from(child));
                yield s -> {
                    for (UnaryOperator<String> step : steps) s = step.apply(s);
                    return s;
                };
            }
            // Hugging Face prepends only to a non-empty string.
            case "Prepend" -> {
                String prefix = n.path("prepend").asText();
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                java.util.regex.Pattern pattern = Patterns.of(n.path("pattern"), "Replace normalizer");
                String content = Matcher.quoteReplacement(n.path("content").asText());
                yield s -> Patterns.matcher(pattern, s).replaceAll(content);
            }
            case "NFC" -> s -> java.text.Normalizer.normalize(s, Form.NFC);
            case "NFD" -> s -> java.text.Normalizer.normalize(s, Form.NFD);
            case "NFKC" -> s -> java.text.Normalizer.normalize(s, Form.NFKC);
            case "NFKD" -> s -> java.text.Normalizer.normalize(s, Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(false), right = n.path("strip_right").asBoolean(false);
                yield s -> Patterns.trim(s, left, right);
            }
            case "StripAccents" -> s -> s.replaceAll("\\p{Mn}", "");
            default -> throw new LortException("tokenizer.json: normalizer type " + type + " is not supported");
        };
    }
}
