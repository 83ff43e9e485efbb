package ai.lort.load;

import ai.lort.LortException;
import java.nio.file.Path;

/**
 * Fuzz target: a {@code model.safetensors.index.json} as bytes. Every input must be refused with a
 * {@link LortException} or name shard files inside the model folder.
 */
public final class ShardIndexFuzzer {
    private static final Path FOLDER = Path.of("/nonexistent/lort-fuzz-model");

    private ShardIndexFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("ShardIndexFuzzer", ShardIndexFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            for (Path p : LocalModel.shardPaths(FOLDER, FOLDER.resolve(LocalModel.INDEX), data))
                if (!p.startsWith(FOLDER) || p.equals(FOLDER)) throw new AssertionError("shard outside the folder: " + p);
        } catch (LortException refused) {
            // the documented clean error
        }
    }
}
