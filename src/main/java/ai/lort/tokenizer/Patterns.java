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

    /**
     * A matcher over {@code text} whose regex may read each character a bounded number of times: a
     * pattern from a hostile tokenizer.json that backtracks catastrophically is refused with a
     * LortException instead of running for hours. Real tokenizers' patterns read a character a
     * few times at most.
     */
    static java.util.regex.Matcher matcher(Pattern p, CharSequence text) {
        return p.matcher(new Budgeted(text, 1_000_000L + 1_000L * text.length()));
    }

    /** A text whose characters may be read {@code budget} times in all. */
    private static final class Budgeted implements CharSequence {
        private final CharSequence text;
        private long budget;

        Budgeted(CharSequence text, long budget) {
            this.text = text;
            this.budget = budget;
        }

        @Override
        public char charAt(int i) {
            if (--budget < 0) throw new LortException("tokenizer.json: a regex backtracks too much on a text of " + text.length() + " characters; the tokenizer's pattern is not one that Hugging Face tokenizers use");
            return text.charAt(i);
        }

        @Override
        public int length() { return text.length(); }

        @Override
        public CharSequence subSequence(int start, int end) { return text.subSequence(start, end); }

        @Override
        public String toString() { return text.toString(); }
    }

    /**
     * Unicode's White_Space property, which Rust's {@code char::is_whitespace} (and so Hugging Face's
     * trimming) uses; Java's {@code Character.isWhitespace} differs (it counts U+001C..U+001F, not U+00A0).
     */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Trims White_Space characters from either end. */
    static String trim(String s, boolean left, boolean right) {
        int from = 0, to = s.length();
        while (left && from < to && isWhiteSpace(s.charAt(from))) from++;
        while (right && to > from && isWhiteSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }
}
