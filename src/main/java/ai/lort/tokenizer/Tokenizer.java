package ai.lort.tokenizer;

import ai.lort.LortException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code tokenizer.json} in pure Java: added tokens, normalizer, pre-tokenizer, BPE
 * model, post-processor and decoder, each built from the file's configuration, giving the ids that
 * Hugging Face's {@code tokenizers} gives. Thread-safe once loaded.
 */
public final class Tokenizer {
    /**
     * Field names are neither interned nor canonicalized: a vocabulary is 32K-150K distinct names
     * read once, which the symbol table and String.intern only slow down.
     */
    static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

    private final AddedTokens added;
    private final UnaryOperator<String> normalizer;
    private final PreTokenizers.PreTokenizer preTokenizer;
    private final BpeModel model;
    private final UnaryOperator<List<Integer>> postProcessor;
    private final Decoders.Step decoder;
    private final JsonNode config;
    private final OptionalInt bosId;
    private final Set<Integer> eosIds;
    private final boolean addsBos;
    private final int vocabSize;
    /** BOS / EOS ids that tokenizer_config.json's add_bos_token / add_eos_token ask for, or -1. */
    private final int configBos;
    private final int configEos;

    private Tokenizer(JsonNode tokenizer, BpeModel model, JsonNode config) {
        this.config = config;
        normalizer = Normalizers.from(tokenizer.get("normalizer"));
        added = new AddedTokens(tokenizer.path("added_tokens"), model.vocab, normalizer);
        preTokenizer = PreTokenizers.from(tokenizer.get("pre_tokenizer"));
        this.model = model;
        postProcessor = PostProcessors.from(tokenizer.get("post_processor"));
        decoder = Decoders.from(tokenizer.get("decoder"));
        int size = model.idToToken.length;
        for (AddedTokens.Token t : added.all) size = Math.max(size, t.id() + 1);
        vocabSize = size;
        Integer bos = tokenId(specialTokenName("bos_token"));
        bosId = bos == null ? OptionalInt.empty() : OptionalInt.of(bos);
        Integer eos = tokenId(specialTokenName("eos_token"));
        eosIds = eos == null ? Set.of() : Set.of(eos);
        configBos = bos != null && config != null && config.path("add_bos_token").asBoolean(false) ? bos : -1;
        configEos = eos != null && config != null && config.path("add_eos_token").asBoolean(false) ? eos : -1;
        int[] empty = encode("", true);
        addsBos = bos != null && empty.length > 0 && empty[0] == bos;
    }

    /**
     * Reads {@code tokenizer.json} and, when present, {@code tokenizer_config.json} through a file
     * lookup (a model folder, or the files a {@code .lort} embeds).
     */
    public static Tokenizer load(Function<String, Optional<byte[]>> files) {
        byte[] json = files.apply("tokenizer.json")
                .orElseThrow(() -> new LortException("no tokenizer.json beside the model: it is needed to turn text into tokens"));
        JsonNode config = files.apply("tokenizer_config.json").map(b -> parse(b, "tokenizer_config.json")).orElse(null);
        ObjectNode root = JSON.createObjectNode();
        BpeModel model = null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new LortException("tokenizer.json is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("model")) model = BpeModel.read(p);
                else root.set(field, p.readValueAsTree());
            }
        } catch (IOException e) {
            throw new LortException("tokenizer.json is not valid JSON: " + e.getMessage());
        }
        if (model == null) throw new LortException("tokenizer.json has no model section");
        return new Tokenizer(root, model, config);
    }

    /** Loads from a folder holding {@code tokenizer.json} (and maybe {@code tokenizer_config.json}). */
    public static Tokenizer fromFolder(Path folder) {
        return load(folderFiles(folder));
    }

    /** A file lookup over a folder: absent files give empty. */
    public static Function<String, Optional<byte[]>> folderFiles(Path folder) {
        return name -> {
            Path p = folder.resolve(name);
            // A named pipe would block the read: only regular files are tokenizer files.
            if (Files.exists(p) && !Files.isRegularFile(p)) throw new LortException(p + ": not a regular file (a device, pipe or socket)");
            try {
                return Optional.of(Files.readAllBytes(p));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + folder.resolve(name) + ": " + e.getMessage(), e);
            }
        };
    }

    static JsonNode parse(byte[] bytes, String name) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new LortException(name + " is not valid JSON: " + e.getMessage());
        }
    }

    /** The tokenizer config's {@code bos_token}/{@code eos_token}: a string or an AddedToken object. */
    private String specialTokenName(String key) {
        if (config == null) return null;
        JsonNode n = config.path(key);
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.path("content").asText();
        return null;
    }

    /** The id of a token string (added tokens first), or null. */
    public Integer tokenId(String token) {
        if (token == null) return null;
        AddedTokens.Token t = added.byContent.get(token);
        return t != null ? Integer.valueOf(t.id()) : model.vocab.get(token);
    }

    /**
     * The ids of {@code text}; with {@code addSpecialTokens}, the post-processor's additions (e.g. BOS),
     * and a BOS / EOS that tokenizer_config.json's {@code add_bos_token} / {@code add_eos_token} ask for.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        List<String> words = new ArrayList<>();
        boolean first = true;
        for (AddedTokens.Segment raw : added.splitRaw(text)) {
            if (raw.token() != null) {
                ids.add(raw.token().id());
                first = false;
                continue;
            }
            String normalized = normalizer.apply(raw.text());
            List<AddedTokens.Segment> parts = added.hasNormalized()
                    ? added.splitNormalized(normalized) : List.of(new AddedTokens.Segment(normalized, null));
            for (AddedTokens.Segment part : parts) {
                if (part.token() != null) {
                    ids.add(part.token().id());
                } else {
                    words.clear();
                    preTokenizer.split(part.text(), first, words);
                    for (String w : words) model.encode(w, ids);
                }
                first = false;
            }
        }
        if (addSpecialTokens) {
            ids = postProcessor.apply(ids);
            // transformers rebuilds the post-processor from add_bos_token / add_eos_token (Llama-style
            // tokenizers); where tokenizer.json's own post-processor lacks what they ask for, add it.
            if (configBos >= 0 && (ids.isEmpty() || ids.getFirst() != configBos)) ids.addFirst(configBos);
            if (configEos >= 0 && (ids.isEmpty() || ids.getLast() != configEos)) ids.addLast(configEos);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The text of {@code ids}; with {@code skipSpecialTokens}, special added tokens are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(Arrays.stream(ids).boxed().toList(), skipSpecialTokens);
    }

    String decode(List<Integer> ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.size());
        for (int id : ids) {
            AddedTokens.Token t = added.byId.get(id);
            if (t != null) {
                if (!(skipSpecialTokens && t.special())) tokens.add(t.content());
            } else if (id >= 0 && id < model.idToToken.length && model.idToToken[id] != null) {
                tokens.add(model.idToToken[id]);
            }
        }
        return String.join("", decoder.apply(tokens));
    }

    /** The token's own string as the vocabulary spells it (e.g. {@code ▁Hello}, {@code Ġworld}), or null. */
    public String tokenString(int id) {
        AddedTokens.Token t = added.byId.get(id);
        if (t != null) return t.content();
        return id >= 0 && id < model.idToToken.length ? model.idToToken[id] : null;
    }

    /** Whether the id is a special added token (BOS, EOS, {@code <|im_start|>}...). */
    public boolean isSpecial(int id) {
        AddedTokens.Token t = added.byId.get(id);
        return t != null && t.special();
    }

    public OptionalInt bosId() { return bosId; }

    /** The EOS id the tokenizer config names; the engine adds those of config.json / generation_config.json. */
    public Set<Integer> eosIds() { return eosIds; }

    /** Whether {@code encode(text, true)} starts with the BOS id. */
    public boolean addsBos() { return addsBos; }

    /** One more than the largest id the tokenizer knows (the model's embedding may have more rows). */
    public int vocabSize() { return vocabSize; }

    /** tokenizer_config.json, or null when there was none. */
    JsonNode config() { return config; }

    /** The names of the special tokens, in id order (for callers that print or check them). */
    public Set<String> specialTokens() {
        Set<String> out = new LinkedHashSet<>();
        added.all.stream().filter(AddedTokens.Token::special).forEach(t -> out.add(t.content()));
        return Collections.unmodifiableSet(out);
    }

    /** A decoder for generation, skipping special tokens. */
    public Decoder streamDecoder() {
        return new Decoder(true, new int[0]);
    }

    /**
     * A decoder for generation that continues after {@code context} (e.g. the prompt's ids): the
     * context is not printed, but lets the first new token keep its leading space.
     */
    public Decoder streamDecoder(boolean skipSpecialTokens, int... context) {
        return new Decoder(skipSpecialTokens, context);
    }

    /**
     * Turns tokens into text one at a time, as Hugging Face's DecodeStream does: it decodes a short
     * window of recent ids and returns what the newest id adds, holding text back while it ends in an
     * incomplete UTF-8 sequence (a U+FFFD), so byte tokens that spell one character come out once.
     */
    public final class Decoder {
        private static final int CONTEXT = 4, MAX_HELD = 16;
        private final boolean skipSpecial;
        private final List<Integer> window = new ArrayList<>();
        private String prefix;
        private int prefixIndex;

        private Decoder(boolean skipSpecial, int[] context) {
            this.skipSpecial = skipSpecial;
            for (int i = Math.max(0, context.length - CONTEXT); i < context.length; i++) window.add(context[i]);
            prefix = decode(window, skipSpecial);
            prefixIndex = window.size();
        }

        /**
         * The text that {@code id} adds; empty while it is held back. At most {@link #MAX_HELD}
         * ids are held back (a UTF-8 character takes 4 bytes at most): past that, what they spell
         * comes out as it is, so that ids that never complete a character (or print nothing)
         * cannot make each step decode an ever longer window.
         */
        public String next(int id) {
            window.add(id);
            String text = decode(window, skipSpecial);
            if (text.length() <= prefix.length() || text.endsWith("\uFFFD")) {
                if (window.size() - prefixIndex <= MAX_HELD) return "";
                String added = text.length() > prefix.length() ? newText(text) : "";
                List<Integer> kept = new ArrayList<>(window.subList(window.size() - CONTEXT, window.size()));
                window.clear();
                window.addAll(kept);
                prefix = decode(window, skipSpecial);
                prefixIndex = window.size();
                return added;
            }
            String added = newText(text);
            int newPrefixIndex = window.size() - prefixIndex;
            List<Integer> kept = new ArrayList<>(window.subList(prefixIndex, window.size()));
            window.clear();
            window.addAll(kept);
            prefix = decode(window, skipSpecial);
            prefixIndex = newPrefixIndex;
            return added;
        }

        /** What is still held back (an incomplete sequence at the end of generation), as decode shows it. */
        public String flush() {
            String text = decode(window, skipSpecial);
            String rest = text.length() > prefix.length() ? newText(text) : "";
            window.clear();
            prefix = "";
            prefixIndex = 0;
            return rest;
        }

        private String newText(String text) {
            if (text.startsWith(prefix)) return text.substring(prefix.length());
            // The window's text changed before the new token (rare): print from where it differs.
            int common = 0;
            while (common < prefix.length() && common < text.length() && prefix.charAt(common) == text.charAt(common)) common++;
            return text.substring(common);
        }
    }
}
