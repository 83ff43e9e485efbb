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
    /** The tokens matched in raw and in normalized text, as tries over their chars. */
    private final Node raw = new Node(), normalizedTokens = new Node();

    /**
     * A trie node: the token that ends here, if any, and the nodes one char further. Finding the
     * longest token at a place walks only as far as the text matches, where a list of candidates
     * would compare every token sharing the first character (Llama 3's 256 {@code <|...|>} tokens
     * at every {@code <}).
     */
    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        Token token;
    }

    /**
     * Reads the added tokens. As in Hugging Face, a token whose text the model's vocabulary already
     * has takes the vocabulary's id, whatever id the file gives it; and a {@code normalized} token
     * is matched in normalized text by its own normalized form, which is also what it decodes to.
     */
    AddedTokens(JsonNode added, Map<String, Integer> modelVocab, java.util.function.UnaryOperator<String> normalizer) {
        for (JsonNode a : added) {
            String content = a.path("content").asText();
            boolean special = a.path("special").asBoolean(false);
            boolean normalized = a.path("normalized").asBoolean(!special);
            int id = modelVocab.getOrDefault(content, BpeModel.tokenId(a.path("id").asInt(-1), content));
            Token t = new Token(id, normalized ? normalizer.apply(content) : content, special, normalized,
                    a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false), a.path("single_word").asBoolean(false));
            if (t.content().isEmpty()) continue;
            all.add(t);
            byContent.put(t.content(), t);
            byId.put(t.id(), t);
            Node n = t.normalized() ? normalizedTokens : raw;
            for (int c = 0; c < t.content().length(); c++) n = n.next.computeIfAbsent(t.content().charAt(c), k -> new Node());
            n.token = t;
        }
    }

    boolean hasNormalized() { return !normalizedTokens.next.isEmpty(); }

    /** Splits text on the tokens matched in raw text (normalized = false). */
    List<Segment> splitRaw(String text) { return split(text, raw); }

    /** Splits normalized text on the tokens that are matched after normalization. */
    List<Segment> splitNormalized(String text) { return split(text, normalizedTokens); }

    /** The longest token of the trie that the text has at {@code at} and that is word-bounded there, or null. */
    private static Token longest(Node root, String text, int at) {
        Token best = null;
        Node n = root;
        for (int j = at; j < text.length(); j++) {
            n = n.next.get(text.charAt(j));
            if (n == null) break;
            if (n.token != null && wordBounded(n.token, text, at)) best = n.token;
        }
        return best;
    }

    private static List<Segment> split(String text, Node root) {
        List<Segment> out = new ArrayList<>();
        if (root.next.isEmpty()) {
            out.add(new Segment(text, null));
            return out;
        }
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            Token found = longest(root, text, i);
            if (found == null) {
                i += Character.charCount(text.codePointAt(i));
                continue;
            }
            int start = i, end = i + found.content().length();
            if (found.lstrip()) while (start > plainStart && Patterns.isWhiteSpace(text.charAt(start - 1))) start--;
            if (found.rstrip()) while (end < text.length() && Patterns.isWhiteSpace(text.charAt(end))) end++;
            if (start > plainStart) out.add(new Segment(text.substring(plainStart, start), null));
            out.add(new Segment(text.substring(start, end), found));
            plainStart = end;
            i = end;
        }
        if (plainStart < text.length()) out.add(new Segment(text.substring(plainStart), null));
        return out;
    }

    /** Unicode's word characters (letters, marks, digits, connectors, joiners), as Rust's {@code \\w}. */
    private static final java.util.regex.Pattern WORD_CHAR = java.util.regex.Pattern.compile("\\w", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    /** A single_word token must not touch a word character on either side. */
    private static boolean wordBounded(Token t, String text, int at) {
        if (!t.singleWord()) return true;
        int end = at + t.content().length();
        boolean before = at == 0 || !isWordChar(text.codePointBefore(at));
        boolean after = end == text.length() || !isWordChar(text.codePointAt(end));
        return before && after;
    }

    private static boolean isWordChar(int cp) {
        return WORD_CHAR.matcher(Character.toString(cp)).matches();
    }
}
