package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.FLOAT_LE;
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
 * <p>Per call, {@code Σ x} and {@code A x} (rank × cols) are computed once for the whole rank, into
 * a per-thread scratch buffer; callers should therefore split rows into few large ranges (one per
 * thread), not one call per row.
 */
public final class TernaryLowRankMatrix implements Matrix {
    private static final int GROUP = TernaryPacker.GROUP, GROUP_BYTES = TernaryPacker.GROUP_BYTES;
    /** Bytes loaded at once: one byte (4 codes) per float lane. */
    private static final VectorSpecies<Byte> B = F.length() * 8 >= 64
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;
    /** The vector path needs whole loads inside a 16-byte group: 8 or 16 float lanes. */
    static final boolean VECTOR = B != null && GROUP_BYTES % F.length() == 0;
    /** Per-thread {@code A x}, grown to the largest rank seen. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private final int rows, cols, rank, rowBytes, fullGroups;
    private final MemorySegment scales, a, b, codes;
    private final long weightBytes;

    public TernaryLowRankMatrix(CompressedLayer l) {
        if (!CompressedLayer.PACKING_T2_G64.equals(l.packing())) throw new IllegalArgumentException(l.name() + ": unsupported packing " + l.packing());
        rows = l.rows();
        cols = l.cols();
        rank = l.rank();
        rowBytes = TernaryPacker.rowBytes(cols);
        fullGroups = cols / GROUP;
        scales = l.scales();
        a = l.a();
        b = l.b();
        codes = l.codes();
        check(l, "scales", scales, 4L * rows);
        check(l, "a", a, 2L * rank * cols);
        check(l, "b", b, 2L * rows * rank);
        check(l, "codes", codes, (long) rows * rowBytes);
        weightBytes = scales.byteSize() + a.byteSize() + b.byteSize() + codes.byteSize();
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
        float sumX = sum(x, cols);
        float[] ax = lowRankInput(x);
        for (int r = rowFrom; r < rowTo; r++) {
            long rowOff = (long) r * rowBytes;
            float codeDot = VECTOR ? codeDot(codes, rowOff, x, fullGroups) : 0;
            for (int c = VECTOR ? fullGroups * GROUP : 0; c < cols; c++) codeDot += code(rowOff, c) * x[c];
            float lowRank = rank == 0 ? 0 : F16Matrix.dot(b, 2L * r * rank, ax, 0, rank);
            y[r] = scales.getAtIndex(FLOAT_LE, r) * (codeDot - sumX) + lowRank;
        }
    }

    /** {@code A x} into this thread's scratch buffer. */
    private float[] lowRankInput(float[] x) {
        if (rank == 0) return null;
        float[] ax = SCRATCH.get();
        if (ax.length < rank) SCRATCH.set(ax = new float[rank]);
        for (int j = 0; j < rank; j++) ax[j] = F16Matrix.dot(a, 2L * j * cols, x, 0, cols);
        return ax;
    }

    private static float sum(float[] x, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[i];
        return s;
    }

    /**
     * {@code Σ code·x} over the first {@code groups} whole groups of a row. A load of L bytes holds
     * the codes of L consecutive weights at each of the 4 shifts; widened to ints, shifted, masked
     * and converted, they meet x with one FMA per lane. One accumulator per shift hides FMA latency.
     */
    static float codeDot(MemorySegment codes, long rowOff, float[] x, int groups) {
        int len = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < GROUP_BYTES; j += len) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, codes, rowOff + (long) g * GROUP_BYTES + j, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                int xi = g * GROUP + j;
                a0 = v.and(3).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi), a0);
                a1 = v.lanewise(VectorOperators.ASHR, 2).and(3).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 16), a1);
                a2 = v.lanewise(VectorOperators.ASHR, 4).and(3).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 32), a2);
                a3 = v.lanewise(VectorOperators.ASHR, 6).and(3).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xi + 48), a3);
            }
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /** The 2-bit code (t + 1) of weight {@code c} of the row at {@code rowOff}. */
    private int code(long rowOff, int c) {
        return (codes.get(ValueLayout.JAVA_BYTE, rowOff + TernaryPacker.byteIndex(c)) >> TernaryPacker.shift(c)) & 3;
    }

    /** Plain reference for {@link #matvec}, straight from the definition. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        float[] ax = new float[rank];
        for (int j = 0; j < rank; j++)
            for (int c = 0; c < cols; c++) ax[j] += Float.float16ToFloat(a.getAtIndex(SHORT_LE, (long) j * cols + c)) * x[c];
        for (int r = rowFrom; r < rowTo; r++) {
            float t = 0;
            for (int c = 0; c < cols; c++) t += (code((long) r * rowBytes, c) - 1) * x[c];
            float lowRank = 0;
            for (int j = 0; j < rank; j++) lowRank += Float.float16ToFloat(b.getAtIndex(SHORT_LE, (long) r * rank + j)) * ax[j];
            y[r] = scales.getAtIndex(FLOAT_LE, r) * t + lowRank;
        }
    }
}
