package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code pre_tokenizer} section of tokenizer.json: splits normalized text into words for the model. */
final class PreTokenizers {
    /** GPT-2's split, used by a ByteLevel pre-tokenizer with {@code use_regex}. */
    private static final Pattern GPT2 = Patterns.regex(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "GPT-2");

    /** One pre-tokenization step. {@code first} is true for the piece that starts the whole text. */
    interface PreTokenizer {
        void split(String piece, boolean first, List<String> out);
    }

    private PreTokenizers() {}

    /** The split behaviors {@link #split} knows: a file naming another is refused when it is loaded, not at its first text. */
    private static final List<String> BEHAVIORS = List.of("Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous");
    /** The Metaspace prepend schemes, checked at load likewise. */
    private static final List<String> SCHEMES = List.of("always", "never", "first");

    static PreTokenizer from(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return (s, first, out) -> out.add(s);
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode child : n.path("pretokenizers")) steps.add(from(child));
                yield (s, first, out) -> {
                    List<String> pieces = List.of(s);
                    for (PreTokenizer step : steps) {
                        List<String> next = new ArrayList<>();
                        for (int i = 0; i < pieces.size(); i++) step.split(pieces.get(i), first && i == 0, next);
                        pieces = next;
                    }
                    out.addAll(pieces);
                };
            }
            case "Split" -> {
                Pattern pattern = Patterns.of(n.path("pattern"), "Split pre-tokenizer");
                String behavior = n.path("behavior").asText("Isolated");
                if (!BEHAVIORS.contains(behavior))
                    throw new LortException("tokenizer.json: split behavior " + behavior + " is not supported (" + String.join(", ", BEHAVIORS) + ")");
                boolean invert = n.path("invert").asBoolean(false);
                yield (s, first, out) -> split(s, pattern, behavior, invert, out);
            }
            case "ByteLevel" -> {
                boolean prefixSpace = n.path("add_prefix_space").asBoolean(false);
                boolean useRegex = n.path("use_regex").asBoolean(true);
                yield (s, first, out) -> {
                    if (prefixSpace && !s.startsWith(" ")) s = " " + s;
                    List<String> words = new ArrayList<>();
                    if (useRegex) split(s, GPT2, "Isolated", false, words);
                    else words.add(s);
                    for (String w : words) out.add(ByteLevel.encode(w));
                };
            }
            case "Metaspace" -> {
                String replacement = n.path("replacement").asText("\u2581");
                String scheme = n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                if (!SCHEMES.contains(scheme))
                    throw new LortException("tokenizer.json: Metaspace prepend_scheme " + scheme + " is not supported (" + String.join(", ", SCHEMES) + ")");
                boolean splitWords = n.path("split").asBoolean(true);
                Pattern marker = Pattern.compile(Pattern.quote(replacement));
                yield (s, first, out) -> {
                    s = s.replace(" ", replacement);
                    boolean prepend = scheme.equals("always") || (scheme.equals("first") && first);
                    if (prepend && !s.startsWith(replacement)) s = replacement + s;
                    if (splitWords) split(s, marker, "MergedWithNext", false, out);
                    else out.add(s);
                };
            }
            case "Digits" -> {
                Pattern digits = Pattern.compile(n.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+",
                        Pattern.UNICODE_CHARACTER_CLASS);
                yield (s, first, out) -> split(s, digits, "Isolated", false, out);
            }
            case "Whitespace" -> {
                Pattern words = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
                yield (s, first, out) -> split(s, words, "Removed", true, out);
            }
            case "WhitespaceSplit" -> {
                Pattern space = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
                yield (s, first, out) -> split(s, space, "Removed", false, out);
            }
            default -> throw new LortException("tokenizer.json: pre-tokenizer type " + type + " is not supported");
        };
    }

    /**
     * Hugging Face's {@code split} with a delimiter behavior: the matches (or, inverted, the text
     * between them) are the delimiters, which are removed, isolated, merged with the piece before or
     * after, or merged with each other when contiguous. Empty pieces are dropped.
     */
    static void split(String s, Pattern pattern, String behavior, boolean invert, List<String> out) {
        List<int[]> spans = new ArrayList<>(); // {start, end, isDelimiter}
        Matcher m = pattern == GPT2 ? pattern.matcher(s) : Patterns.matcher(pattern, s);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) spans.add(new int[] {last, m.start(), invert ? 1 : 0});
            spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
            last = m.end();
        }
        if (last < s.length()) spans.add(new int[] {last, s.length(), invert ? 1 : 0});
        // Each case follows Hugging Face's SplitDelimiterBehavior, piece by piece.
        List<int[]> pieces = new ArrayList<>();
        boolean previousDelimiter = false;
        switch (behavior) {
            case "Isolated" -> pieces.addAll(spans);
            case "Removed" -> spans.stream().filter(sp -> sp[2] == 0).forEach(pieces::add);
            case "MergedWithPrevious" -> {
                for (int[] sp : spans) {
                    boolean delimiter = sp[2] == 1;
                    if (delimiter && !previousDelimiter && !pieces.isEmpty()) pieces.getLast()[1] = sp[1];
                    else pieces.add(sp.clone());
                    previousDelimiter = delimiter;
                }
            }
            case "MergedWithNext" -> {
                for (int[] sp : spans.reversed()) {
                    boolean delimiter = sp[2] == 1;
                    if (delimiter && !previousDelimiter && !pieces.isEmpty()) pieces.getLast()[0] = sp[0];
                    else pieces.add(sp.clone());
                    previousDelimiter = delimiter;
                }
                java.util.Collections.reverse(pieces);
            }
            case "Contiguous" -> {
                for (int[] sp : spans) {
                    boolean delimiter = sp[2] == 1;
                    if (delimiter && previousDelimiter) pieces.getLast()[1] = sp[1];
                    else pieces.add(sp.clone());
                    previousDelimiter = delimiter;
                }
            }
            default -> throw new IllegalStateException("split behavior " + behavior + " passed the check at load");
        }
        for (int[] piece : pieces) if (piece[1] > piece[0]) out.add(s.substring(piece[0], piece[1]));
    }
}
