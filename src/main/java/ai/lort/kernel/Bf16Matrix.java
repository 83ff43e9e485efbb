package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.I;
import static ai.lort.kernel.VectorSpecs.S;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Dense bfloat16 weights, row-major little-endian, read in place (e.g. from a mapped file). */
public final class Bf16Matrix extends DenseMatrix {
    private final MemorySegment w;

    public Bf16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) throw new IllegalArgumentException("BF16 " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        super(rows, cols);
        this.w = w;
    }

    @Override public long weightBytes() { return w.byteSize(); }

    /** Per-thread x split into its even and odd elements, grown to the widest matrix seen. */
    private static final ThreadLocal<float[]> SPLIT = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (rowFrom >= rowTo) return;
        int half = cols / 2;
        float[] xs = SPLIT.get();
        if (xs.length < 2 * half) SPLIT.set(xs = new float[2 * half]);
        for (int i = 0; i < half; i++) {
            xs[i] = x[2 * i];
            xs[half + i] = x[2 * i + 1];
        }
        for (int r = rowFrom; r < rowTo; r++) y[r] = dot(w, (long) r * cols * 2, x, xs, cols);
    }

    /** Fewer than {@link DenseBatch#TOKENS} tokens, each with the bits of its own {@link #matvec} ({@link Bf16Tokens}). */
    @Override
    void matmulFew(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        Bf16Tokens.matmul(w, cols, xs, ys, n, rowFrom, rowTo);
    }

    @Override
    void decodeRow(int row, int from, int to, float[] out, int at) {
        long off = ((long) row * cols + from) * 2;
        int n = to - from, len = F.length(), i = 0;
        for (int upper = n - len; i <= upper; i += len) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN);
            ((IntVector) h.castShape(I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, at + i);
        }
        for (; i < n; i++) out[at + i] = bf16(w.get(SHORT_LE, off + 2L * i));
    }

    /**
     * {@code Σ w[i]·x[i]} for the {@code n} bfloat16 at byte {@code off} of {@code w}; {@code xs}
     * holds x's even elements, then its odd ones ({@code n / 2} each).
     *
     * <p>A bfloat16 is the top half of a float32, so an int lane holding the pair
     * {@code w[2i], w[2i+1]} gives both as floats with one shift (the even one) and one mask (the
     * odd one, in place): no widening load, and 3 of the 4 operations per 32 weights on the FMA port
     * instead of 4 of 6. Four accumulators hide the
     * FMA latency; the decode is written inline because a vector-returning helper that C2 declines
     * to inline boxes every vector.
     */
    static float dot(MemorySegment w, long off, float[] x, float[] xs, int n) {
        int len = F.length(), half = n / 2, i = 0;
        FloatVector e0 = FloatVector.zero(F), o0 = e0, e1 = e0, o1 = e0;
        for (int upper = half - 2 * len; i <= upper; i += 2 * len) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector p1 = IntVector.fromMemorySegment(I, w, off + 4L * (i + len), ByteOrder.LITTLE_ENDIAN);
            e0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i), e0);
            o0 = p0.and(0xFFFF_0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, half + i), o0);
            e1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i + len), e1);
            o1 = p1.and(0xFFFF_0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, half + i + len), o1);
        }
        for (int upper = half - len; i <= upper; i += len) {
            IntVector p = IntVector.fromMemorySegment(I, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
            e0 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, i), e0);
            o0 = p.and(0xFFFF_0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, xs, half + i), o0);
        }
        float acc = Lanes.sum(e0.add(o0).add(e1.add(o1)));
        for (int c = 2 * i; c < n; c++) acc += bf16(w.get(SHORT_LE, off + 2L * c)) * x[c];
        return acc;
    }

    private static float bf16(short b) { return Float.intBitsToFloat((b & 0xFFFF) << 16); }

    /** Plain reference for {@link #matvec}. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            float acc = 0;
            long base = (long) r * cols * 2;
            for (int c = 0; c < cols; c++) acc += bf16(w.get(SHORT_LE, base + 2L * c)) * x[c];
            y[r] = acc;
        }
    }
}
