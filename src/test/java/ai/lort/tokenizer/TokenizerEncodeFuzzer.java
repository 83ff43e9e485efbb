package ai.lort.tokenizer;

import ai.lort.LortException;
import ai.lort.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: text (any bytes, decoded as UTF-8 with replacement) encoded by the real tokenizers
 * of ../shared (Llama 3, Mistral, Qwen3, stories260K; the first byte picks one). Encoding must
 * never fail, and Llama 3's ids (byte-level, no normalizer) must decode to the text itself.
 */
public final class TokenizerEncodeFuzzer {
    private static List<Tokenizer> tokenizers;

    private TokenizerEncodeFuzzer() {}

    static synchronized List<Tokenizer> tokenizers() {
        if (tokenizers == null) {
            Path root = SharedData.root();
            tokenizers = List.of(Tokenizer.fromFolder(root.resolve("tokenizers/llama3")), Tokenizer.fromFolder(root.resolve("tokenizers/qwen3")),
                    Tokenizer.fromFolder(root.resolve("tokenizers/mistral")), Tokenizer.fromFolder(root.resolve("models/stories260K")));
        }
        return tokenizers;
    }

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("TokenizerEncodeFuzzer", TokenizerEncodeFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) return;
        Tokenizer t = tokenizers().get((data[0] & 0xFF) % 4);
        String text = new String(Arrays.copyOfRange(data, 1, data.length), StandardCharsets.UTF_8);
        int[] ids;
        try {
            ids = t.encode(text, (data[0] & 0x80) != 0);
        } catch (LortException refused) {
            // a hostile tokenizer's regex may be refused; these real ones must not be
            throw new AssertionError("a real tokenizer refused a text: " + refused.getMessage());
        }
        t.decode(ids, true);
        Tokenizer.Decoder stream = t.streamDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) streamed.append(stream.next(id));
        streamed.append(stream.flush());
        // Llama 3's tokenizer is byte-level without a normalizer: its ids spell the text exactly.
        if ((data[0] & 0xFF) % 4 == 0) {
            String back = t.decode(t.encode(text, false), false);
            if (!back.equals(text)) throw new AssertionError("byte-level round trip changed the text: " + text + " -> " + back);
        }
    }
}
