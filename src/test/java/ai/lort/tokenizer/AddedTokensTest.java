package ai.lort.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Matching added tokens: leftmost first, then the longest that fits its single_word rule, as Hugging Face's Aho-Corasick does. */
class AddedTokensTest {
    private static AddedTokens tokens(String json) throws Exception {
        return new AddedTokens(Tokenizer.JSON.readTree(json), Map.of(), s -> s);
    }

    private static List<String> split(AddedTokens t, String text) {
        return t.splitRaw(text).stream().map(s -> s.token() == null ? "[" + s.text() + "]" : "<" + s.token().id() + ">").toList();
    }

    @Test
    void leftmostThenLongestThenTheLongestThatIsWordBounded() throws Exception {
        AddedTokens t = tokens("""
                [{"id": 1, "content": "<|a|>", "special": true},
                 {"id": 2, "content": "<|a|>bc", "special": true, "single_word": true},
                 {"id": 3, "content": "<|", "special": true},
                 {"id": 4, "content": "|>x", "special": true},
                 {"id": 5, "content": "\uD83D\uDE42", "special": true}]""");
        // the longest at a place wins; where it is not single-word-bounded, the next longest
        assertThat(split(t, "q <|a|>bc r")).containsExactly("[q ]", "<2>", "[ r]");
        assertThat(split(t, "q <|a|>bcd")).containsExactly("[q ]", "<1>", "[bcd]");
        // leftmost: "<|" at 0 is taken, so "|>x" starting inside it is not
        assertThat(split(t, "<|b|>x")).containsExactly("<3>", "[b]", "<4>");
        // runs of a shared first character, a token past a surrogate pair, a partial match at the end
        assertThat(split(t, "<<<|a|><")).containsExactly("[<<]", "<1>", "[<]");
        assertThat(split(t, "\uD83D\uDE00\uD83D\uDE42<|a")).containsExactly("[\uD83D\uDE00]", "<5>", "<3>", "[a]");
        assertThat(split(t, "plain")).containsExactly("[plain]");
    }
}
