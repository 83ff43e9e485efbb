package ai.lort.model;

import ai.lort.LortException;

/**
 * Fuzz target: a config.json as bytes. Every input must be refused with a {@link LortException}
 * (including {@link ModelConfig.Unsupported}) or give a config whose expected shapes and memory
 * check can be computed without overflow.
 */
public final class ConfigFuzzer {
    private ConfigFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("ConfigFuzzer", ConfigFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        ModelConfig c;
        try {
            c = ModelConfig.parse(data, null);
        } catch (LortException refused) {
            return;
        }
        if (c.qDim() <= 0 || c.kvDim() <= 0 || c.parameters() <= 0) throw new AssertionError("bad dimensions: " + c);
        for (ModelShapes.Expected e : ModelShapes.expected(c).values())
            for (long d : e.shape()) if (d <= 0) throw new AssertionError("non-positive expected dimension in " + c);
        RopeTable.of(c.rope(), c.headDim(), 2);
        try {
            ModelShapes.checkHeap(c, 2, 1);
        } catch (LortException tooLarge) {
            // the documented refusal of a model too large for the heap
        }
    }
}
