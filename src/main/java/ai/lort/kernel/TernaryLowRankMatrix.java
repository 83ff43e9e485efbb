package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.I;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import ai.lort.format.CompressedLayer;
import ai.lort.pack.TernaryPacker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A compressed layer {@code W ≈ diag(s)·T + B·A} run straight from its packed form ({@code t2-g64},
 * see {@link TernaryPacker}): {@code y = s ∘ (T x) + B (A x)}. T is never expanded in memory.
 *
 * <p>Per call, {@code Σ x}, a pre-scaled copy of x and {@code A x} are computed once into a
 * per-thread scratch buffer: about (1 + rank) × cols work, small next to rows × cols, but repeated
 * by every call, so callers should split rows into few large ranges (one per thread), not one call
 * per row. The result equals the scalar reference up to float rounding order (tests hold it to
 * 1e-5 of Σ|terms|); nothing is quantized.
 */
public final class TernaryLowRankMatrix implements Matrix {
    private static final int GROUP = TernaryPacker.GROUP, GROUP_BYTES = TernaryPacker.GROUP_BYTES;
    /** Bytes loaded at once: one byte (4 codes) per float lane. */
    private static final VectorSpecies<Byte> B = F.length() * 8 >= 64
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;
    /** The vector path needs whole loads inside a 16-byte group: 8 or 16 float lanes. */
    static final boolean VECTOR = B != null && GROUP_BYTES % F.length() == 0;
    /** Per-thread pre-scaled x and {@code A x}, grown to the largest layer seen. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private final int rows, cols, rank, rowBytes, fullGroups;
    private final MemorySegment a, b, codes;
    /** Row scales widened to float32 once (row-f32 or row-f16 in the file; rows × 4 bytes of heap). */
    private final float[] scales;
    private final long weightBytes;
    /** The layer's input rotation and its signs, or null: x is rotated once per call. */
    private final ai.lort.pack.Hadamard rotation;
    private final float[] signs;
    private static final ThreadLocal<float[]> ROTATED = ThreadLocal.withInitial(() -> new float[0]);
    /** A holds only zero and normal halves: the fast F16 decode is exact (see F16Matrix). */
    private final boolean plainFactors;
    /**
     * B as floats (rows × rank), decoded once: every row reads its rank values every call, and
     * decoding a handful of halves per row through the mapped segment cost ~10% of a matvec. At
     * 4·rank bytes a row it is a small fraction of the model (16 MB for Qwen2.5-0.5B at 2.2 bpw).
     */
    private final float[] bRows;
    /** {@code t3-b5}: five codes per byte, decoded through a table (no vector path yet). */
    private final boolean base3;
    private static final byte[] DIGITS = ai.lort.pack.TritPacker.digits();

    public TernaryLowRankMatrix(CompressedLayer l) {
        if (!CompressedLayer.PACKING_T2_G64.equals(l.packing()) && !CompressedLayer.PACKING_T3_B5.equals(l.packing()))
            throw new IllegalArgumentException(l.name() + ": unsupported packing " + l.packing());
        base3 = CompressedLayer.PACKING_T3_B5.equals(l.packing());
        rows = l.rows();
        cols = l.cols();
        rank = l.rank();
        rowBytes = CompressedLayer.rowBytes(l.packing(), cols);
        fullGroups = cols / GROUP;
        check(l, "scales", l.scales(), (long) l.scaleBytes() * rows);
        scales = new float[rows];
        for (int i = 0; i < rows; i++) scales[i] = l.scale(i);
        a = l.a();
        b = l.b();
        codes = l.codes();
        check(l, "a", a, 2L * rank * cols);
        check(l, "b", b, 2L * rows * rank);
        check(l, "codes", codes, (long) rows * rowBytes);
        rotation = l.rotation();
        signs = rotation == null ? null : rotation.signVector();
        weightBytes = l.scales().byteSize() + a.byteSize() + b.byteSize() + codes.byteSize();
        plainFactors = F16Matrix.plainHalves(a);
        bRows = new float[Math.multiplyExact(rows, rank)];
        for (int i = 0; i < bRows.length; i++) bRows[i] = Float.float16ToFloat(b.getAtIndex(SHORT_LE, i));
    }

    private static void check(CompressedLayer l, String what, MemorySegment s, long bytes) {
        if (s.byteSize() != bytes) throw new IllegalArgumentException(l.name() + ": " + what + " has " + s.byteSize() + " bytes, expected " + bytes);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long weightBytes() { return weightBytes; }
    public int rank() { return rank; }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (rowFrom >= rowTo) return;
        x = rotated(x);
        if (base3) {
            base3Matvec(x, y, rowFrom, rowTo);
            return;
        }
        float[] scratch = scratch(cols + rank);
        float sumX = prepare(x, scratch);
        if (VECTOR) {
            // Σ code·x over whole groups into y, two rows at a time (an odd last row pairs with itself).
            for (int r = rowFrom; r < rowTo; r += 2) {
                int r1 = Math.min(r + 1, rowTo - 1);
                pairDot(codes, (long) r * rowBytes, (long) r1 * rowBytes, scratch, fullGroups, y, r, r1);
            }
        }
        int tail = VECTOR ? fullGroups * GROUP : 0;
        for (int r = rowFrom; r < rowTo; r++) {
            long rowOff = (long) r * rowBytes;
            float codeDot = VECTOR ? y[r] : 0;
            for (int c = tail; c < cols; c++) codeDot += code(rowOff, c) * x[c];
            float lowRank = rank == 0 ? 0 : lowRankRow(r, scratch);
            y[r] = scales[r] * (codeDot - sumX) + lowRank;
        }
    }

    /**
     * Row r of B times {@code A x} (in {@code scratch[cols, cols + rank)}). Ranks are small (a few
     * to a few dozen): a plain loop beats a vector dot, whose lane reduction would be paid per row.
     */
    private float lowRankRow(int r, float[] scratch) {
        float sum = 0;
        for (int k = 0, o = r * rank; k < rank; k++) sum += bRows[o + k] * scratch[cols + k];
        return sum;
    }

    /**
     * {@code t3-b5}: per byte, the five codes from the table meet five x values; {@code Σ code·x − Σ x}
     * as in the 2-bit kernel. Plain loops: about as many operations as the 2-bit path, but scalar.
     */
    private void base3Matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        float[] scratch = scratch(cols + rank);
        float sumX = 0;
        for (int c = 0; c < cols; c++) sumX += x[c];
        for (int j = 0; j < rank; j++) scratch[cols + j] = F16Matrix.dot(a, 2L * j * cols, x, 0, cols);
        int full = cols / 5;
        for (int r = rowFrom; r < rowTo; r++) {
            long off = (long) r * rowBytes;
            float d0 = 0, d1 = 0;
            for (int g = 0; g < full; g++) {
                int p = 5 * (codes.get(ValueLayout.JAVA_BYTE, off + g) & 0xFF), c = 5 * g;
                d0 += DIGITS[p] * x[c] + DIGITS[p + 2] * x[c + 2] + DIGITS[p + 4] * x[c + 4];
                d1 += DIGITS[p + 1] * x[c + 1] + DIGITS[p + 3] * x[c + 3];
            }
            for (int c = 5 * full; c < cols; c++) d0 += code(off, c) * x[c];
            float lowRank = rank == 0 ? 0 : lowRankRow(r, scratch);
            y[r] = scales[r] * (d0 + d1 - sumX) + lowRank;
        }
    }

    /** {@code R·x} in a per-thread buffer for a rotated layer, else x itself. */
    private float[] rotated(float[] x) {
        if (rotation == null) return x;
        float[] r = ROTATED.get();
        if (r.length < cols) ROTATED.set(r = new float[cols]);
        System.arraycopy(x, 0, r, 0, cols);
        rotation.rotate(r, 0, signs);
        return r;
    }

    /** This thread's scratch buffer, at least {@code n} floats. */
    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) SCRATCH.set(s = new float[n]);
        return s;
    }

    /**
     * Fills {@code scratch[0, cols)} with x pre-scaled for {@link #pairDot} and
     * {@code scratch[cols, cols + rank)} with {@code A x}; returns {@code Σ x}.
     */
    private float prepare(float[] x, float[] scratch) {
        int len = F.length(), i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = F.loopBound(cols); i < upper; i += len) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            acc = acc.add(v);
            // Lanes never straddle two slots k when len divides 16 (the vector path); otherwise
            // the scaled copy is not used.
            v.mul(SLOT_SCALE[(i % GROUP) / GROUP_BYTES]).intoArray(scratch, i);
        }
        float sum = Lanes.sum(acc);
        for (; i < cols; i++) {
            sum += x[i];
            scratch[i] = x[i] * SLOT_SCALE[(i % GROUP) / GROUP_BYTES];
        }
        for (int j = 0; j < rank; j++)
            scratch[cols + j] = plainFactors ? F16Matrix.dotPlain(a, 2L * j * cols, x, 0, cols) : F16Matrix.dot(a, 2L * j * cols, x, 0, cols);
        return sum;
    }

    /** {@code 4^-k}: weight slot k of a byte is masked in place, worth {@code code·4^k}. */
    private static final float[] SLOT_SCALE = {1f, 0x1p-2f, 0x1p-4f, 0x1p-6f};

    /**
     * {@code Σ code·x} over the first {@code groups} whole groups of two rows at once (at
     * {@code off0} and {@code off1}, which may be equal), into {@code out[r0]} and {@code out[r1]}.
     * {@code xs} is x pre-scaled by {@link #SLOT_SCALE} (see {@link #prepare}).
     *
     * <p>A load of L bytes holds the codes of L consecutive weights at each of the 4 slots; widened
     * to ints once, each slot is masked in place (not shifted: {@code code·4^k} times
     * {@code x·4^-k} is exactly {@code code·x}, one op saved per 16 weights, about 25% faster),
     * converted to float and meets x in one FMA. Two rows share the x loads and give two
     * independent chains of work (10-20% faster than one row at a time, measured); one accumulator
     * per slot hides the FMA latency.
     */
    static void pairDot(MemorySegment codes, long off0, long off1, float[] xs, int groups, float[] out, int r0, int r1) {
        int len = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < GROUP_BYTES; j += len) {
                long go = (long) g * GROUP_BYTES + j;
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, codes, off0 + go, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                IntVector w = (IntVector) ByteVector.fromMemorySegment(B, codes, off1 + go, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                int xi = g * GROUP + j;
                FloatVector x0 = FloatVector.fromArray(F, xs, xi), x1 = FloatVector.fromArray(F, xs, xi + 16);
                FloatVector x2 = FloatVector.fromArray(F, xs, xi + 32), x3 = FloatVector.fromArray(F, xs, xi + 48);
                a0 = ((FloatVector) v.and(0x03).convert(VectorOperators.I2F, 0)).fma(x0, a0);
                a1 = ((FloatVector) v.and(0x0C).convert(VectorOperators.I2F, 0)).fma(x1, a1);
                a2 = ((FloatVector) v.and(0x30).convert(VectorOperators.I2F, 0)).fma(x2, a2);
                a3 = ((FloatVector) v.and(0xC0).convert(VectorOperators.I2F, 0)).fma(x3, a3);
                b0 = ((FloatVector) w.and(0x03).convert(VectorOperators.I2F, 0)).fma(x0, b0);
                b1 = ((FloatVector) w.and(0x0C).convert(VectorOperators.I2F, 0)).fma(x1, b1);
                b2 = ((FloatVector) w.and(0x30).convert(VectorOperators.I2F, 0)).fma(x2, b2);
                b3 = ((FloatVector) w.and(0xC0).convert(VectorOperators.I2F, 0)).fma(x3, b3);
            }
        }
        out[r0] = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        out[r1] = Lanes.sum(b0.add(b1).add(b2.add(b3)));
    }

    /** The 2-bit code (t + 1) of weight {@code c} of the row at {@code rowOff}. */
    private int code(long rowOff, int c) {
        if (base3) return ai.lort.pack.TritPacker.code(codes.get(ValueLayout.JAVA_BYTE, rowOff + c / 5), c % 5);
        return (codes.get(ValueLayout.JAVA_BYTE, rowOff + TernaryPacker.byteIndex(c)) >> TernaryPacker.shift(c)) & 3;
    }

    /** Plain reference for {@link #matvec}, straight from the definition. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (rotation != null) {
            x = java.util.Arrays.copyOf(x, cols);
            rotation.rotate(x, 0, signs);
        }
        float[] ax = new float[rank];
        for (int j = 0; j < rank; j++)
            for (int c = 0; c < cols; c++) ax[j] += Float.float16ToFloat(a.getAtIndex(SHORT_LE, (long) j * cols + c)) * x[c];
        for (int r = rowFrom; r < rowTo; r++) {
            float t = 0;
            for (int c = 0; c < cols; c++) t += (code((long) r * rowBytes, c) - 1) * x[c];
            float lowRank = 0;
            for (int j = 0; j < rank; j++) lowRank += Float.float16ToFloat(b.getAtIndex(SHORT_LE, (long) r * rank + j)) * ax[j];
            y[r] = scales[r] * t + lowRank;
        }
    }
}
