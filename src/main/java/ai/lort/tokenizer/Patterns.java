package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The {@code {"String": ...}} or {@code {"Regex": ...}} patterns of tokenizer.json, as Java patterns. */
final class Patterns {
    private Patterns() {}

    static Pattern of(JsonNode pattern, String where) {
        if (pattern.has("String")) return Pattern.compile(Pattern.quote(pattern.get("String").asText()));
        if (pattern.has("Regex")) return regex(pattern.get("Regex").asText(), where);
        throw new LortException("tokenizer.json: " + where + " has a pattern that is neither String nor Regex: " + pattern);
    }

    /**
     * Compiles an Oniguruma regex (what Hugging Face uses) as a Java one. The pre-tokenizer regexes use
     * {@code \s}, {@code \p{L}}, {@code \p{N}}, lookahead and {@code (?i:...)}; Java's {@code \s} matches
     * only ASCII whitespace unless UNICODE_CHARACTER_CLASS is set, while Oniguruma's matches every
     * Unicode space (U+00A0, U+3000...), so the flag is needed for the same splits.
     */
    static Pattern regex(String regex, String where) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new LortException("tokenizer.json: the " + where + " regex does not compile in Java: " + e.getDescription());
        }
    }
}
