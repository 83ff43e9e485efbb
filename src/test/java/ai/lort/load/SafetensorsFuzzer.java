package ai.lort.load;

import ai.lort.LortException;
import ai.lort.load.LocalModel;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Fuzz target: a safetensors file (header and data) as bytes. Every input must either be refused
 * with a {@link LortException} or give tensors whose every element can be read.
 */
public final class SafetensorsFuzzer {
    private SafetensorsFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("SafetensorsFuzzer", SafetensorsFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        SafetensorsFile f;
        try {
            f = SafetensorsFile.parse(Path.of("fuzz.safetensors"), null, MemorySegment.ofArray(data), data.length);
        } catch (LortException refused) {
            return;
        }
        for (Tensor t : f.tensors().values()) {
            long n = t.elementCount();
            if (t.byteSize() != n * t.dtype().size()) throw new AssertionError(t + ": " + t.byteSize() + " bytes for " + n + " elements");
            if (t.dtype().isCompressible() && n > 0) {
                t.getFloat(0);
                t.getFloat(n - 1);
            }
        }
    }
}
