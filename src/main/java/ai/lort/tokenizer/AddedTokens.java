package ai.lort.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code added_tokens} of tokenizer.json. They are found in the text before the model sees it,
 * whatever add_special_tokens says (that flag only controls the post-processor): the leftmost match
 * wins, and of matches starting at the same place the longest, as Hugging Face's Aho-Corasick does.
 */
final class AddedTokens {
    record Token(int id, String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip, boolean singleWord) {}

    /** A stretch of text: an added token ({@code token} set) or plain text for the model. */
    record Segment(String text, Token token) {}

    final List<Token> all = new ArrayList<>();
    final Map<String, Token> byContent = new HashMap<>();
    final Map<Integer, Token> byId = new HashMap<>();
    private final Map<Integer, List<Token>> rawByFirst = new HashMap<>();
    private final Map<Integer, List<Token>> normalizedByFirst = new HashMap<>();

    AddedTokens(JsonNode added) {
        for (JsonNode a : added) {
            Token t = new Token(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean(false),
                    a.path("normalized").asBoolean(!a.path("special").asBoolean(false)), a.path("lstrip").asBoolean(false),
                    a.path("rstrip").asBoolean(false), a.path("single_word").asBoolean(false));
            if (t.content().isEmpty()) continue;
            all.add(t);
            byContent.put(t.content(), t);
            byId.put(t.id(), t);
            (t.normalized() ? normalizedByFirst : rawByFirst)
                    .computeIfAbsent(t.content().codePointAt(0), k -> new ArrayList<>()).add(t);
        }
        for (List<Token> list : rawByFirst.values()) list.sort((x, y) -> y.content().length() - x.content().length());
        for (List<Token> list : normalizedByFirst.values()) list.sort((x, y) -> y.content().length() - x.content().length());
    }

    boolean hasNormalized() { return !normalizedByFirst.isEmpty(); }

    /** Splits text on the tokens matched in raw text (normalized = false). */
    List<Segment> splitRaw(String text) { return split(text, rawByFirst); }

    /** Splits normalized text on the tokens that are matched after normalization. */
    List<Segment> splitNormalized(String text) { return split(text, normalizedByFirst); }

    private static List<Segment> split(String text, Map<Integer, List<Token>> byFirst) {
        List<Segment> out = new ArrayList<>();
        if (byFirst.isEmpty()) {
            out.add(new Segment(text, null));
            return out;
        }
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            Token found = null;
            List<Token> candidates = byFirst.get(cp);
            if (candidates != null) {
                for (Token t : candidates) {
                    if (text.startsWith(t.content(), i) && wordBounded(t, text, i)) {
                        found = t;
                        break;
                    }
                }
            }
            if (found == null) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i, end = i + found.content().length();
            if (found.lstrip()) while (start > plainStart && Character.isWhitespace(text.charAt(start - 1))) start--;
            if (found.rstrip()) while (end < text.length() && Character.isWhitespace(text.charAt(end))) end++;
            if (start > plainStart) out.add(new Segment(text.substring(plainStart, start), null));
            out.add(new Segment(text.substring(start, end), found));
            plainStart = end;
            i = end;
        }
        if (plainStart < text.length()) out.add(new Segment(text.substring(plainStart), null));
        return out;
    }

    /** A single_word token must not touch a letter or digit on either side. */
    private static boolean wordBounded(Token t, String text, int at) {
        if (!t.singleWord()) return true;
        int end = at + t.content().length();
        boolean before = at == 0 || !Character.isLetterOrDigit(text.codePointBefore(at));
        boolean after = end == text.length() || !Character.isLetterOrDigit(text.codePointAt(end));
        return before && after;
    }
}
