package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hugging Face's {@code BPE} model: a word is split into characters (or, with byte fallback, into
 * {@code <0xXX>} byte tokens where a character is not in the vocabulary), then the adjacent pair with
 * the lowest merge rank is merged, again and again, using a priority queue of candidate pairs.
 */
final class BpeModel {
    private static final int CACHE_LIMIT = 100_000;

    final Map<String, Integer> vocab;
    final String[] idToToken;
    /** (left id, right id) packed in a long, to the merge's rank. */
    private final LongIntMap mergeRanks;
    /** Merge rank to the id of the merged token. */
    private final int[] mergeResult;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String subwordPrefix;
    private final String wordSuffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** Ids of the byte tokens {@code <0x00>}..{@code <0xFF>}, -1 where absent. */
    private final int[] byteIds = new int[256];

    /**
     * Reads the {@code model} section with Jackson's streaming parser: the vocabulary and merges of a
     * 150k-token tokenizer as a tree of JSON nodes take seconds to build, as plain strings a fraction.
     */
    static BpeModel read(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw new LortException("tokenizer.json: model is not an object");
        ObjectNode options = Tokenizer.JSON.createObjectNode();
        Map<String, Integer> vocab = new HashMap<>();
        List<String[]> merges = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("vocab") && value == JsonToken.START_OBJECT) {
                vocab = new HashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    p.nextToken();
                    vocab.put(token, tokenId(p.getIntValue(), token));
                }
            } else if (field.equals("merges") && value == JsonToken.START_ARRAY) {
                merges = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t == JsonToken.VALUE_STRING) {
                        String s = p.getText();
                        int space = s.indexOf(' ');
                        if (space < 0 || s.indexOf(' ', space + 1) >= 0)
                            throw new LortException("tokenizer.json: merge " + merges.size() + " is not two tokens: \"" + s + "\"");
                        merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
                    } else if (t == JsonToken.START_ARRAY) {
                        p.nextToken();
                        String a = p.getText();
                        p.nextToken();
                        String b = p.getText();
                        if (p.nextToken() != JsonToken.END_ARRAY)
                            throw new LortException("tokenizer.json: merge " + merges.size() + " is not a pair of tokens");
                        merges.add(new String[] {a, b});
                    } else {
                        throw new LortException("tokenizer.json: merge " + merges.size() + " is neither \"a b\" nor [\"a\", \"b\"]");
                    }
                }
            } else {
                options.set(field, p.readValueAsTree());
            }
        }
        return new BpeModel(options, vocab, merges);
    }

    /** The byte-fallback tokens' names, {@code <0x00>}..{@code <0xFF>}. */
    static final String[] BYTE_TOKENS = new String[256];

    static {
        for (int b = 0; b < 256; b++) BYTE_TOKENS[b] = "<0x" + Character.toUpperCase(Character.forDigit(b >> 4, 16)) + Character.toUpperCase(Character.forDigit(b & 15, 16)) + ">";
    }

    /** Ids index arrays sized by the largest one: negative or huge ids are refused, not allocated. */
    static final int MAX_ID = (1 << 24) - 1;

    static int tokenId(int id, String token) {
        if (id < 0 || id > MAX_ID) throw new LortException("tokenizer.json: token \"" + token + "\" has id " + id + ", outside 0.." + MAX_ID);
        return id;
    }

    BpeModel(JsonNode model, Map<String, Integer> vocab, List<String[]> merges) {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE"))
            throw new LortException("tokenizer.json: model type " + type + " is not supported (only BPE)");
        if (model.path("dropout").asDouble(0) > 0)
            throw new LortException("tokenizer.json: BPE dropout is not supported");
        this.vocab = vocab;
        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        idToToken = new String[maxId + 1];
        vocab.forEach((token, id) -> idToToken[id] = token);
        subwordPrefix = textOrNull(model.path("continuing_subword_prefix"));
        wordSuffix = textOrNull(model.path("end_of_word_suffix"));
        String unk = textOrNull(model.path("unk_token"));
        unkId = unk == null ? null : vocab.get(unk);
        if (unk != null && unkId == null)
            throw new LortException("tokenizer.json: the unk_token " + unk + " is not in the vocabulary");
        fuseUnk = model.path("fuse_unk").asBoolean(false);
        byteFallback = model.path("byte_fallback").asBoolean(false);
        ignoreMerges = model.path("ignore_merges").asBoolean(false);
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(BYTE_TOKENS[b], -1);

        mergeRanks = new LongIntMap(merges.size());
        mergeResult = new int[merges.size()];
        int prefixLen = subwordPrefix == null ? 0 : subwordPrefix.length();
        for (int rank = 0; rank < merges.size(); rank++) {
            String a = merges.get(rank)[0], b = merges.get(rank)[1];
            Integer ia = vocab.get(a), ib = vocab.get(b);
            Integer merged = vocab.get(a + b.substring(Math.min(prefixLen, b.length())));
            if (ia == null || ib == null || merged == null)
                throw new LortException("tokenizer.json: merge " + rank + " (" + a + " " + b + ") uses a token not in the vocabulary");
            mergeRanks.put(pair(ia, ib), rank);
            mergeResult[rank] = merged;
        }
    }

    private static String textOrNull(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? null : n.asText();
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Appends the ids of one pre-tokenized word. */
    void encode(String word, List<Integer> out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = mergeWord(word);
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(word, ids);
        }
        for (int id : ids) out.add(id);
    }

    private int[] mergeWord(String word) {
        // Initial symbols, as in Hugging Face's BPE::merge_word (including where a pending unknown is flushed).
        List<Integer> symbols = new ArrayList<>(word.length());
        boolean pendingUnk = false; // an unknown character not yet added: fuse_unk may join the next one to it
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            String s = word.substring(i, end);
            if (i > 0 && subwordPrefix != null) s = subwordPrefix + s;
            if (end == word.length() && wordSuffix != null) s = s + wordSuffix;
            i = end;
            Integer id = vocab.get(s);
            if (id != null) {
                if (pendingUnk) symbols.add(unkId);
                pendingUnk = false;
                symbols.add(id);
                continue;
            }
            // Hugging Face adds byte tokens without first flushing a pending unknown; so do we.
            if (byteFallback && addBytes(s, symbols)) continue;
            if (unkId != null) {
                if (pendingUnk && !fuseUnk) symbols.add(unkId);
                pendingUnk = true;
            }
        }
        if (pendingUnk) symbols.add(unkId);
        return merge(symbols);
    }

    private boolean addBytes(String s, List<Integer> symbols) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int k = 0; k < bytes.length; k++) {
            ids[k] = byteIds[bytes[k] & 0xFF];
            if (ids[k] < 0) return false;
        }
        for (int id : ids) symbols.add(id);
        return true;
    }

    /** Merges pairs lowest rank first (ties: leftmost), skipping queue entries that went stale. */
    private int[] merge(List<Integer> initial) {
        int n = initial.size();
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = initial.get(i);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap queue = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int rank = mergeRanks.get(pair(sym[i], sym[i + 1]));
            if (rank >= 0) queue.push(entry(rank, i));
        }
        int remaining = n;
        while (!queue.isEmpty()) {
            long top = queue.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) continue;
            int right = next[pos];
            int current = mergeRanks.get(pair(sym[pos], sym[right]));
            if (current < 0 || mergeResult[current] != mergeResult[rank]) continue;
            sym[pos] = mergeResult[rank];
            removed[right] = true;
            remaining--;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) {
                int r = mergeRanks.get(pair(sym[prev[pos]], sym[pos]));
                if (r >= 0) queue.push(entry(r, prev[pos]));
            }
            if (next[pos] >= 0) {
                int r = mergeRanks.get(pair(sym[pos], sym[next[pos]]));
                if (r >= 0) queue.push(entry(r, pos));
            }
        }
        int[] out = new int[remaining];
        int k = 0;
        for (int i = 0; i < n; i++) if (!removed[i]) out[k++] = sym[i];
        return out;
    }

    private static long entry(int rank, int pos) {
        return ((long) rank << 32) | pos;
    }

    /** A binary min-heap of longs (rank in the high half, position in the low: ties go leftmost). */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) { a = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return size == 0; }

        void push(long v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}
