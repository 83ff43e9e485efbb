package ai.lort.format;

import ai.lort.pack.Hadamard;
import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import ai.lort.util.Half;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One compressed linear layer of a .lort file, viewed in place: {@code W ≈ diag(s)·T + B·A}
 * with {@code W} of shape rows × cols (out × in). See docs/FORMAT.md.
 *
 * @param scales   {@code rows} little-endian scales, one per output row, as {@code scaleEncoding} says
 * @param a        {@code rank × cols} little-endian float16, row-major (empty when rank is 0)
 * @param b        {@code rows × rank} little-endian float16, row-major (empty when rank is 0)
 * @param codes    {@code rows × packing.rowBytes(cols)} bytes in the {@code packing} layout
 * @param rotation the input rotation the layer was fitted in, or null for none: then
 *                 {@code W ≈ (diag(s)·T + B·A)·R}
 */
public record CompressedLayer(String name, int rows, int cols, int rank, Packing packing,
                              MemorySegment scales, MemorySegment a, MemorySegment b, MemorySegment codes,
                              ScaleEncoding scaleEncoding, Hadamard rotation) {
    /** A layer with float32 row scales and no rotation (format 1.0). */
    public CompressedLayer(String name, int rows, int cols, int rank, Packing packing,
                           MemorySegment scales, MemorySegment a, MemorySegment b, MemorySegment codes) {
        this(name, rows, cols, rank, packing, scales, a, b, codes, ScaleEncoding.ROW_F32, null);
    }

    /**
     * A layer encoded exactly as the writer stores it, on the heap: calibration runs each
     * compressed layer through the real kernel before the file exists.
     *
     * @param t ternary values (−1, 0, +1), row-major rows × cols
     * @param a rank × cols, {@code b} rows × rank (stored as float16)
     */
    public static CompressedLayer encode(String name, int rows, int cols, int rank, Packing packing, ScaleEncoding scales,
                                         float[] s, byte[] t, float[] a, float[] b, Hadamard rotation) {
        return new CompressedLayer(name, rows, cols, rank, packing, MemorySegment.ofArray(scales.encode(s)),
                MemorySegment.ofArray(halvesLe(a)), MemorySegment.ofArray(halvesLe(b)),
                MemorySegment.ofArray(packing.pack(t, rows, cols)), scales, rotation);
    }

    /**
     * This layer with other row scales and factors (float16-exact scales where the encoding is
     * row-f16; the factors are rounded to float16 as stored), and the same codes and rotation:
     * what healing, which trains those and keeps the codes, writes.
     */
    public CompressedLayer withFactors(float[] s, float[] newA, float[] newB) {
        if (s.length != rows || newA.length != rank * cols || newB.length != rows * rank)
            throw new IllegalArgumentException(name + ": factors of another shape");
        float[] stored = scaleEncoding == ScaleEncoding.ROW_F16 ? Half.roundToHalf(s) : s;
        return new CompressedLayer(name, rows, cols, rank, packing, MemorySegment.ofArray(scaleEncoding.encode(stored)),
                MemorySegment.ofArray(halvesLe(newA)), MemorySegment.ofArray(halvesLe(newB)), codes, scaleEncoding, rotation);
    }

    /**
     * Stored bits of an m × n layer of rank r, divided by m·n: the packed codes with their row
     * padding, one {@code scaleBits}-bit scale per row, and the float16 factors.
     */
    public static double bitsPerWeight(int m, int n, int r, int scaleBits, Packing packing) {
        double bits = 8.0 * m * packing.rowBytes(n) + (double) scaleBits * m + 16.0 * r * ((double) m + n);
        return bits / ((double) m * n);
    }

    /** This layer's stored bits per weight. */
    public double bitsPerWeight() { return bitsPerWeight(rows, cols, rank, scaleEncoding.bits(), packing); }

    /** The ternary value of weight (i, j). */
    public int ternary(int i, int j) {
        int rb = packing.rowBytes(cols);
        if (packing == Packing.T3_B5) return TritPacker.code(codes.get(ValueLayout.JAVA_BYTE, (long) i * rb + j / 5), j % 5) - 1;
        int code = (codes.get(ValueLayout.JAVA_BYTE, (long) i * rb + TernaryPacker.byteIndex(j)) >> TernaryPacker.shift(j)) & 3;
        return code - 1;
    }

    /**
     * The ternary values of row {@code i} into {@code out[0, cols)}; {@code packed} is scratch of at
     * least {@code packing.rowBytes(cols)} bytes. Throws on a code that is not ternary.
     */
    public void ternaryRow(int i, byte[] packed, byte[] out) {
        int rb = packing.rowBytes(cols);
        MemorySegment.copy(codes, ValueLayout.JAVA_BYTE, (long) i * rb, packed, 0, rb);
        boolean trits = packing == Packing.T3_B5;
        for (int j = 0; j < cols; j++)
            out[j] = (byte) (trits ? TritPacker.code(packed[j / 5], j % 5) - 1 : TernaryPacker.get(packed, 0, j));
    }

    /** Scale of row {@code i}, widened to float. */
    public float scale(int i) {
        return scaleEncoding == ScaleEncoding.ROW_F16
                ? Float.float16ToFloat(scales.getAtIndex(LortFormat.SHORT_LE, i))
                : scales.getAtIndex(LortFormat.FLOAT_LE, i);
    }

    static byte[] halvesLe(float[] v) {
        byte[] out = new byte[2 * v.length];
        for (int i = 0; i < v.length; i++) {
            short h = Float.floatToFloat16(v[i]);
            out[2 * i] = (byte) h;
            out[2 * i + 1] = (byte) (h >> 8);
        }
        return out;
    }
}
