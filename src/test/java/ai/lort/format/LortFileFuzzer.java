package ai.lort.format;

import ai.lort.LortException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Fuzz target: a .lort file as bytes. The index CRC in the preamble is recomputed first (when the
 * index lies inside the input), so mutations reach the index and the sections instead of all
 * stopping at the checksum. Every input must be refused with a {@link LortException} or open,
 * verify (problems are reported, not thrown), and, when verified intact, reconstruct every
 * layer and read every embedded file.
 */
public final class LortFileFuzzer {
    /** Largest layer reconstructed, in weights (inputs are small; this bounds the work per input). */
    private static final long MAX_WEIGHTS = 1 << 16;

    private LortFileFuzzer() {}

    /** Called by the fuzzer once before the first input. */
    public static void fuzzerInitialize() {
        ai.lort.fuzz.FuzzSeeds.warmUp("LortFileFuzzer", LortFileFuzzer::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] input) {
        byte[] data = input.clone();
        fixIndexCrc(data);
        LortFile f;
        try {
            f = LortFile.parse(Path.of("fuzz.lort"), null, MemorySegment.ofArray(data));
        } catch (LortException refused) {
            return;
        }
        if (!f.verify().isEmpty()) return;
        for (CompressedLayer l : f.layers().values())
            if ((long) l.rows() * l.cols() <= MAX_WEIGHTS) LortFile.reconstruct(l);
        for (String name : f.fileNames()) f.file(name).orElseThrow();
        f.tensors().values().forEach(t -> t.elementCount());
    }

    static void fixIndexCrc(byte[] data) {
        if (data.length < LortFormat.PREAMBLE_BYTES) return;
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long off = b.getLong(16), len = b.getLong(24);
        if (off < 0 || len <= 0 || off > data.length || len > data.length - off) return;
        CRC32C crc = new CRC32C();
        crc.update(data, (int) off, (int) len);
        b.putInt(32, (int) crc.getValue());
    }
}
