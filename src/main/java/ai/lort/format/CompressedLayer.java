package ai.lort.format;

import java.lang.foreign.MemorySegment;

/**
 * One compressed linear layer of a .lort file, viewed in place: {@code W ≈ diag(s)·T + B·A}
 * with {@code W} of shape rows × cols (out × in). See docs/FORMAT.md.
 *
 * @param scales {@code rows} little-endian scales, one per output row: float32 ({@code row-f32}) or
 *               float16 ({@code row-f16}), as {@code scaleFormat} says
 * @param rotation the input rotation the layer was fitted in ({@code rotation: "hadamard"}), or
 *                 null for none: then {@code W ≈ (diag(s)·T + B·A)·R}
 * @param a      {@code rank × cols} little-endian float16, row-major (empty when rank is 0)
 * @param b      {@code rows × rank} little-endian float16, row-major (empty when rank is 0)
 * @param codes  {@code rows × TernaryPacker.rowBytes(cols)} bytes in the {@code t2-g64} layout
 */
public record CompressedLayer(String name, int rows, int cols, int rank, String packing,
                              MemorySegment scales, MemorySegment a, MemorySegment b, MemorySegment codes,
                              String scaleFormat, ai.lort.pack.Hadamard rotation) {
    /** Two bits per weight, groups of 64 (format 1.0). */
    public static final String PACKING_T2_G64 = "t2-g64";
    /** Five weights per byte, base 3 (format 1.1), see {@link ai.lort.pack.TritPacker}. */
    public static final String PACKING_T3_B5 = "t3-b5";

    /** Bytes of one packed row of {@code cols} weights in {@code packing}. */
    public static int rowBytes(String packing, int cols) {
        return switch (packing) {
            case PACKING_T2_G64 -> ai.lort.pack.TernaryPacker.rowBytes(cols);
            case PACKING_T3_B5 -> ai.lort.pack.TritPacker.rowBytes(cols);
            default -> throw new IllegalArgumentException("unknown packing " + packing);
        };
    }

    /** Packs row-major ternary values in {@code packing}. */
    public static byte[] pack(String packing, byte[] t, int rows, int cols) {
        return PACKING_T3_B5.equals(packing) ? ai.lort.pack.TritPacker.pack(t, rows, cols) : ai.lort.pack.TernaryPacker.pack(t, rows, cols);
    }

    /** The ternary value of weight (i, j). */
    public int ternary(int i, int j) {
        int rb = rowBytes(packing, cols);
        if (PACKING_T3_B5.equals(packing))
            return ai.lort.pack.TritPacker.code(codes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) i * rb + j / 5), j % 5) - 1;
        int code = (codes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) i * rb + ai.lort.pack.TernaryPacker.byteIndex(j)) >> ai.lort.pack.TernaryPacker.shift(j)) & 3;
        return code - 1;
    }

    /**
     * The ternary values of row {@code i} into {@code out[0, cols)}; {@code packed} is scratch of at
     * least {@link #rowBytes} bytes. Throws on a code that is not ternary.
     */
    public void ternaryRow(int i, byte[] packed, byte[] out) {
        int rb = rowBytes(packing, cols);
        MemorySegment.copy(codes, java.lang.foreign.ValueLayout.JAVA_BYTE, (long) i * rb, packed, 0, rb);
        boolean trits = PACKING_T3_B5.equals(packing);
        for (int j = 0; j < cols; j++)
            out[j] = (byte) (trits ? ai.lort.pack.TritPacker.code(packed[j / 5], j % 5) - 1 : ai.lort.pack.TernaryPacker.get(packed, 0, j));
    }

    /** A layer with float32 row scales (format 1.0). */
    public CompressedLayer(String name, int rows, int cols, int rank, String packing,
                           MemorySegment scales, MemorySegment a, MemorySegment b, MemorySegment codes) {
        this(name, rows, cols, rank, packing, scales, a, b, codes, LortFormat.SCALES_ROW_F32, null);
    }

    /**
     * A layer encoded exactly as {@link LortWriter#addLayer} stores it, on the heap: calibration runs
     * each compressed layer through the real kernel before the file exists.
     */
    public static CompressedLayer encode(String name, int rows, int cols, int rank, String packing, String scaleFormat,
                                         float[] scales, byte[] t, float[] a, float[] b, ai.lort.pack.Hadamard rotation) {
        byte[] s = switch (scaleFormat) {
            case LortFormat.SCALES_ROW_F32 -> LortWriter.floatsLe(scales);
            case LortFormat.SCALES_ROW_F16 -> LortWriter.halvesLe(scales);
            default -> throw new IllegalArgumentException("unknown scales encoding " + scaleFormat);
        };
        return new CompressedLayer(name, rows, cols, rank, packing, MemorySegment.ofArray(s),
                MemorySegment.ofArray(LortWriter.halvesLe(a)), MemorySegment.ofArray(LortWriter.halvesLe(b)),
                MemorySegment.ofArray(pack(packing, t, rows, cols)), scaleFormat, rotation);
    }

    /** Bytes per stored scale: 4 for {@code row-f32}, 2 for {@code row-f16}. */
    public int scaleBytes() { return LortFormat.scaleBytes(scaleFormat); }

    /** Scale of row {@code i}, widened to float. */
    public float scale(int i) {
        return LortFormat.SCALES_ROW_F16.equals(scaleFormat)
                ? Float.float16ToFloat(scales.getAtIndex(LortFormat.SHORT_LE, i))
                : scales.getAtIndex(LortFormat.FLOAT_LE, i);
    }
}
