package ai.lort.tokenizer;

import ai.lort.LortException;
import java.util.Optional;

/**
 * Fuzz target: a tokenizer.json as bytes. Every input must be refused with a {@link LortException}
 * or load a tokenizer that encodes and decodes a short text without any other exception.
 */
public final class TokenizerLoadFuzzer {
    private TokenizerLoadFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("TokenizerLoadFuzzer", TokenizerLoadFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Tokenizer t;
        try {
            t = Tokenizer.load(name -> name.equals("tokenizer.json") ? Optional.of(data) : Optional.empty());
        } catch (LortException refused) {
            return;
        }
        int[] ids = t.encode("Hello world, <s> 12 ünï 🙂", true);
        t.decode(ids, false);
        t.decode(new int[] {-1, 0, 1, Integer.MAX_VALUE}, true);
    }
}
