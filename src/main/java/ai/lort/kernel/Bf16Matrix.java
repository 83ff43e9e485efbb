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
public final class Bf16Matrix implements Matrix {
    private final MemorySegment w;
    private final int rows, cols;
    private final DenseBatch.RowDecoder rowDecoder = this::decodeRow;

    public Bf16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) throw new IllegalArgumentException("BF16 " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        this.w = w;
        this.rows = rows;
        this.cols = cols;
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long weightBytes() { return w.byteSize(); }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) y[r] = dot(w, (long) r * cols * 2, x, cols);
    }

    @Override
    public void matmul(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        DenseBatch.matmul(this, rowDecoder, xs, ys, n, rowFrom, rowTo);
    }

    private void decodeRow(int row, int from, int to, float[] out, int at) {
        long off = ((long) row * cols + from) * 2;
        int n = to - from, len = F.length(), i = 0;
        for (int upper = n - len; i <= upper; i += len) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN);
            ((IntVector) h.castShape(I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, at + i);
        }
        for (; i < n; i++) out[at + i] = bf16(w.get(SHORT_LE, off + 2L * i));
    }

    /** {@code Σ w[i]·x[i]} for the {@code n} bfloat16 at byte {@code off} of {@code w}. */
    static float dot(MemorySegment w, long off, float[] x, int n) {
        int len = F.length(), i = 0;
        // Two accumulators suffice to keep up with memory; the decode is written inline because a
        // vector-returning helper that C2 declines to inline boxes every vector.
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int upper = n - 2 * len; i <= upper; i += 2 * len) {
            // A bfloat16 is the top half of a float32: widen to int and shift left by 16.
            ShortVector h0 = ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN);
            ShortVector h1 = ShortVector.fromMemorySegment(S, w, off + 2L * (i + len), ByteOrder.LITTLE_ENDIAN);
            a0 = ((IntVector) h0.castShape(I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i), a0);
            a1 = ((IntVector) h1.castShape(I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i + len), a1);
        }
        for (int upper = n - len; i <= upper; i += len) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN);
            a0 = ((IntVector) h.castShape(I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i), a0);
        }
        float acc = Lanes.sum(a0.add(a1));
        for (; i < n; i++) acc += bf16(w.get(SHORT_LE, off + 2L * i)) * x[i];
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
