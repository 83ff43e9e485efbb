package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every reference case of shared/tokenizers/cases.json (computed with Hugging Face tokenizers). */
class TokenizerCasesTest {
    static JsonNode cases;
    static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    @BeforeAll
    static void readCases() throws Exception {
        cases = new ObjectMapper().readTree(SharedData.require("tokenizers/cases.json").toFile());
    }

    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> Tokenizer.fromFolder(folder(n)));
    }

    static Path folder(String name) {
        return name.equals("stories260K") ? SharedData.require("models/stories260K") : SharedData.require("tokenizers/" + name);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mistral", "llama3", "qwen3", "stories260K"})
    void encodesAndDecodesLikeHuggingFace(String name) {
        Tokenizer tok = tokenizer(name);
        JsonNode r = cases.path("results").path(name);
        List<String> failures = new ArrayList<>();
        JsonNode texts = cases.path("texts");
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i).asText();
            int[] with = ints(r.path("with_special").get(i));
            check(failures, i, "with_special", with, tok.encode(text, true));
            check(failures, i, "without_special", ints(r.path("without_special").get(i)), tok.encode(text, false));
            check(failures, i, "decoded", r.path("decoded").get(i).asText(), tok.decode(with, true));
            check(failures, i, "decoded_keep_special", r.path("decoded_keep_special").get(i).asText(), tok.decode(with, false));
        }
        assertThat(failures).as(name + ": " + failures.size() + " of " + 4 * texts.size() + " checks fail").isEmpty();
    }

    private static void check(List<String> failures, int i, String what, int[] expected, int[] actual) {
        if (!java.util.Arrays.equals(expected, actual))
            failures.add("#" + i + " " + what + ": expected " + java.util.Arrays.toString(expected) + " got " + java.util.Arrays.toString(actual));
    }

    private static void check(List<String> failures, int i, String what, String expected, String actual) {
        if (!expected.equals(actual)) failures.add("#" + i + " " + what + ": expected " + escape(expected) + " got " + escape(actual));
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u{%x}", c)));
        return b.append('"').toString();
    }
}
