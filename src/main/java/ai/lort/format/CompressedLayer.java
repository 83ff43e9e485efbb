package ai.lort.format;

import java.lang.foreign.MemorySegment;

/**
 * One compressed linear layer of a .lort file, viewed in place: {@code W ≈ diag(s)·T + B·A}
 * with {@code W} of shape rows × cols (out × in). See docs/FORMAT.md.
 *
 * @param scales {@code rows} little-endian float32 values, one per output row
 * @param a      {@code rank × cols} little-endian float16, row-major (empty when rank is 0)
 * @param b      {@code rows × rank} little-endian float16, row-major (empty when rank is 0)
 * @param codes  {@code rows × TernaryPacker.rowBytes(cols)} bytes in the {@code t2-g64} layout
 */
public record CompressedLayer(String name, int rows, int cols, int rank, String packing,
                              MemorySegment scales, MemorySegment a, MemorySegment b, MemorySegment codes) {
    /** The only ternary packing of format version 1. */
    public static final String PACKING_T2_G64 = "t2-g64";
}
