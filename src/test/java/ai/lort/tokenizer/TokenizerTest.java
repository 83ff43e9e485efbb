package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerTest {
    @BeforeAll
    static void readCases() throws Exception {
        TokenizerCasesTest.readCases();
    }

    @Test
    void byteFallbackTokenNamesAreTwoUpperCaseHexDigits() {
        for (int b = 0; b < 256; b++) assertThat(BpeModel.BYTE_TOKENS[b]).isEqualTo(String.format("<0x%02X>", b));
    }

    @Test
    void knowsItsSpecialTokens() {
        Tokenizer mistral = TokenizerCasesTest.tokenizer("mistral");
        assertThat(mistral.bosId()).isEqualTo(OptionalInt.of(1));
        assertThat(mistral.eosIds()).isEqualTo(Set.of(2));
        assertThat(mistral.addsBos()).isTrue();
        assertThat(mistral.vocabSize()).isEqualTo(32000);
        assertThat(mistral.tokenString(22557)).isEqualTo("▁Hello");

        Tokenizer llama3 = TokenizerCasesTest.tokenizer("llama3");
        assertThat(llama3.bosId()).isEqualTo(OptionalInt.of(128000));
        assertThat(llama3.eosIds()).isEqualTo(Set.of(128001));
        assertThat(llama3.addsBos()).isFalse(); // this tokenizer.json's post-processor adds nothing
        assertThat(llama3.vocabSize()).isEqualTo(128256);

        Tokenizer qwen3 = TokenizerCasesTest.tokenizer("qwen3");
        assertThat(qwen3.bosId()).isEmpty();
        assertThat(qwen3.eosIds()).isEqualTo(Set.of(151645));
        assertThat(qwen3.vocabSize()).isEqualTo(151669);
        assertThat(qwen3.isSpecial(151644)).isTrue();
        assertThat(qwen3.isSpecial(151667)).isFalse(); // <think> is an added token, not a special one
    }

    @Test
    void addsTheBosAndEosTheTokenizerConfigAsksFor() throws Exception {
        var llama3 = Tokenizer.folderFiles(ai.lort.testing.SharedData.require("tokenizers/llama3"));
        String config = "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|end_of_text|>\", \"add_bos_token\": true, \"add_eos_token\": true}";
        Tokenizer tok = Tokenizer.load(name -> name.equals("tokenizer_config.json")
                ? Optional.of(config.getBytes(StandardCharsets.UTF_8)) : llama3.apply(name));
        assertThat(tok.encode("Hello, world!", true)).containsExactly(128000, 9906, 11, 1917, 0, 128001);
        assertThat(tok.encode("Hello, world!", false)).containsExactly(9906, 11, 1917, 0);
        assertThat(tok.addsBos()).isTrue();
    }

    /** Streaming a case's ids token by token gives the text decode gives for them all. */
    @ParameterizedTest
    @ValueSource(strings = {"mistral", "llama3", "qwen3", "stories260K"})
    void streamsTheSameTextAsDecode(String name) {
        Tokenizer tok = TokenizerCasesTest.tokenizer(name);
        JsonNode all = TokenizerCasesTest.cases.path("results").path(name).path("with_special");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            int[] ids = TokenizerCasesTest.ints(all.get(i));
            Tokenizer.Decoder stream = tok.streamDecoder();
            StringBuilder text = new StringBuilder();
            for (int id : ids) text.append(stream.next(id));
            text.append(stream.flush());
            String expected = tok.decode(ids, true);
            if (!expected.contentEquals(text)) failures.add("#" + i + ": " + TokenizerCasesTest.escape(expected) + " streamed as " + TokenizerCasesTest.escape(text.toString()));
        }
        assertThat(failures).isEmpty();
    }

    /** shared/data's excerpt tokenized story by story for stories260K (llama2.c's own encode). */
    @Test
    void tokenizesTheTinyStoriesExcerptLikeLlama2c() throws Exception {
        Tokenizer tok = TokenizerCasesTest.tokenizer("stories260K");
        String text = java.nio.file.Files.readString(ai.lort.testing.SharedData.require("data/tinystories-valid-excerpt.txt"));
        List<String> expected = java.nio.file.Files.readAllLines(ai.lort.testing.SharedData.require("data/tinystories-valid-excerpt.tok512.txt"));
        String[] stories = text.split("<\\|endoftext\\|>");
        int checked = 0;
        for (String story : stories) {
            if (story.isBlank()) continue;
            int[] ids = tok.encode(story.strip(), true);
            assertThat(java.util.Arrays.stream(ids).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(" ")))
                    .as("story " + checked).isEqualTo(expected.get(checked).strip());
            checked++;
        }
        assertThat(checked).isEqualTo(expected.size());
    }

    @Test
    void streamingAfterAPromptKeepsTheFirstSpace() {
        Tokenizer tok = TokenizerCasesTest.tokenizer("mistral");
        int[] prompt = tok.encode("Once upon", true);
        int[] more = tok.encode("Once upon a time", true);
        Tokenizer.Decoder stream = tok.streamDecoder(true, prompt);
        StringBuilder text = new StringBuilder();
        for (int i = prompt.length; i < more.length; i++) text.append(stream.next(more[i]));
        assertThat(text.toString()).isEqualTo(" a time");
        // A character spelt by three byte tokens comes out once, whole.
        Tokenizer.Decoder bytes = tok.streamDecoder();
        List<String> pieces = new ArrayList<>();
        for (int id : tok.encode("€", false)) pieces.add(bytes.next(id));
        assertThat(String.join("", pieces)).isEqualTo("€");
        assertThat(pieces.getLast()).isEqualTo("€");
    }

    @Test
    void namesWhatItDoesNotSupport() {
        String json = """
                {"added_tokens": [], "normalizer": {"type": "Precompiled"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""";
        assertThatThrownBy(() -> Tokenizer.load(files(Map.of("tokenizer.json", json))))
                .isInstanceOf(LortException.class).hasMessageContaining("normalizer type Precompiled");
        String regex = """
                {"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?<x"}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""";
        assertThatThrownBy(() -> Tokenizer.load(files(Map.of("tokenizer.json", regex))))
                .isInstanceOf(LortException.class).hasMessageContaining("regex");
    }

    /** A small byte-level tokenizer written here, for pre-tokenizer behaviors the real files do not use. */
    @Test
    void metaspaceAndMergedBehaviorsWork() {
        String json = """
                {"added_tokens": [{"id": 9, "content": "<x>", "special": true, "lstrip": true, "rstrip": false, "normalized": false}],
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
                 "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"},
                 "model": {"type": "BPE", "unk_token": "?", "vocab": {"?": 0, "▁": 1, "a": 2, "b": 3, "▁a": 4, "▁ab": 5},
                           "merges": ["▁ a", "▁a b"]}}""";
        Tokenizer tok = Tokenizer.load(files(Map.of("tokenizer.json", json)));
        // <x> takes the spaces before it (lstrip); the text after it gets its own "▁".
        assertThat(tok.encode("ab a  <x>b", false)).containsExactly(5, 4, 9, 1, 3);
        assertThat(tok.decode(new int[] {5, 4, 9, 1, 3}, true)).isEqualTo("ab a b");
        assertThat(tok.encode("ba", false)).containsExactly(1, 3, 2);
        List<String> out = new ArrayList<>();
        PreTokenizers.split("a,b,,c", java.util.regex.Pattern.compile(","), "MergedWithPrevious", false, out);
        assertThat(out).containsExactly("a,", "b,", ",", "c");
        out.clear();
        PreTokenizers.split("a,b,,c", java.util.regex.Pattern.compile(","), "MergedWithNext", false, out);
        assertThat(out).containsExactly("a", ",b", ",", ",c");
        out.clear();
        PreTokenizers.split("a,b,,c", java.util.regex.Pattern.compile(","), "Contiguous", false, out);
        assertThat(out).containsExactly("a", ",", "b", ",,", "c");
    }

    /**
     * Added-token options the shipped files do not use, on Mistral's tokenizer with four more added
     * tokens; the expected ids and texts are Hugging Face tokenizers 0.23.2's.
     */
    @Test
    void addedTokenOptionsBehaveAsInHuggingFace() throws Exception {
        var mistral = Tokenizer.folderFiles(ai.lort.testing.SharedData.require("tokenizers/mistral"));
        com.fasterxml.jackson.databind.node.ObjectNode json =
                (com.fasterxml.jackson.databind.node.ObjectNode) Tokenizer.JSON.readTree(mistral.apply("tokenizer.json").orElseThrow());
        json.withArray("added_tokens").addAll((com.fasterxml.jackson.databind.node.ArrayNode) Tokenizer.JSON.readTree("""
                [{"id": 32000, "content": "<x>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
                 {"id": 32001, "content": "<y>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": false},
                 {"id": 32002, "content": "word", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false},
                 {"id": 32003, "content": "▁norm", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false}]"""));
        byte[] bytes = Tokenizer.JSON.writeValueAsBytes(json);
        Tokenizer tok = Tokenizer.load(name -> name.equals("tokenizer.json") ? Optional.of(bytes) : Optional.empty());
        // "word" is in the vocabulary (2186): the added token takes that id; a joiner or a mark is part of a word.
        assertThat(tok.encode("a word b", true)).containsExactly(1, 264, 28705, 2186, 28705, 287);
        assertThat(tok.decode(new int[] {1, 264, 28705, 2186, 28705, 287}, true)).isEqualTo("a word  b");
        assertThat(tok.encode("a\u200dword b", true)).containsExactly(1, 264, 29274, 2186, 287);
        assertThat(tok.encode("x\u0327word", true)).containsExactly(1, 1318, 31968, 2186);
        // lstrip / rstrip take Unicode White_Space only: U+001C and U+001D stay.
        assertThat(tok.encode("ab\u001c<x>cd<y>\u001d e", true)).containsExactly(1, 534, 31134, 32000, 19958, 32001, 28705, 31236, 317);
        assertThat(tok.encode("ab \t<x>cd<y>  e", true)).containsExactly(1, 534, 32000, 19958, 32001, 317);
        assertThat(tok.decode(new int[] {1, 534, 32000, 19958, 32001, 317}, false)).isEqualTo("<s> ab<x> cd<y> e");
        // A normalized added token is matched, and decoded, in its normalized form ("▁▁norm").
        assertThat(tok.encode("a  norm", true)).containsExactly(1, 264, 6552);
        assertThat(tok.decode(new int[] {1, 264, 6552}, true)).isEqualTo("a  norm");
    }

    /** The newer Llama/Mistral layout, a Metaspace pre-tokenizer and decoder; expected values are Hugging Face's. */
    @ParameterizedTest
    @ValueSource(strings = {"first,false", "always,true"})
    void metaspaceLayoutsBehaveAsInHuggingFace(String variant) throws Exception {
        String scheme = variant.split(",")[0];
        boolean split = Boolean.parseBoolean(variant.split(",")[1]);
        var mistral = Tokenizer.folderFiles(ai.lort.testing.SharedData.require("tokenizers/mistral"));
        com.fasterxml.jackson.databind.node.ObjectNode json =
                (com.fasterxml.jackson.databind.node.ObjectNode) Tokenizer.JSON.readTree(mistral.apply("tokenizer.json").orElseThrow());
        String metaspace = "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"" + scheme + "\", \"split\": " + split + "}";
        json.putNull("normalizer");
        json.set("pre_tokenizer", Tokenizer.JSON.readTree(metaspace));
        json.set("decoder", Tokenizer.JSON.readTree(metaspace));
        byte[] bytes = Tokenizer.JSON.writeValueAsBytes(json);
        Tokenizer tok = Tokenizer.load(name -> name.equals("tokenizer.json") ? Optional.of(bytes) : Optional.empty());
        assertThat(tok.encode(" Hello  world", true)).containsExactly(1, 22557, 28705, 1526);
        assertThat(tok.decode(new int[] {1, 22557, 28705, 1526}, true)).isEqualTo("Hello  world");
        assertThat(tok.decode(new int[] {1, 22557, 28705, 1526}, false)).isEqualTo("<s> Hello  world");
        // "first" prepends only at the start of the text, not after an added token.
        int[] ids = tok.encode("<s>Hi there</s> x", true);
        assertThat(ids).containsExactly(1, 1, scheme.equals("first") ? 23809 : 15359, 736, 2, 1318);
        assertThat(tok.decode(ids, false)).isEqualTo(scheme.equals("first") ? "<s><s>Hi there</s> x" : "<s><s> Hi there</s> x");
        assertThat(tok.encode("", true)).containsExactly(1);
    }

    static java.util.function.Function<String, Optional<byte[]>> files(Map<String, String> files) {
        return name -> Optional.ofNullable(files.get(name)).map(s -> s.getBytes(StandardCharsets.UTF_8));
    }
}
