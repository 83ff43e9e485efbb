package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.FLOAT_LE;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Dense float32 weights, row-major little-endian, read in place (e.g. from a mapped file). */
public final class F32Matrix extends DenseMatrix {
    private final MemorySegment w;

    public F32Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 4L * rows * cols) throw new IllegalArgumentException("F32 " + rows + "x" + cols + " needs " + 4L * rows * cols + " bytes, got " + w.byteSize());
        super(rows, cols);
        this.w = w;
    }

    @Override public long weightBytes() { return w.byteSize(); }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) y[r] = dot(w, (long) r * cols * 4, x, cols);
    }

    @Override
    void decodeRow(int row, int from, int to, float[] out, int at) {
        MemorySegment.copy(w, FLOAT_LE, ((long) row * cols + from) * 4, out, at, to - from);
    }

    /** {@code Σ w[i]·x[i]} for the {@code n} floats at byte {@code off} of {@code w}. */
    static float dot(MemorySegment w, long off, float[] x, int n) {
        int len = F.length(), i = 0;
        // Four accumulators hide the FMA latency; the loop stays bound by memory, not by the adds.
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int upper = n - 4 * len; i <= upper; i += 4 * len) {
            long o = off + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, w, o, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, o + 4L * len, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, i + len), a1);
            a2 = FloatVector.fromMemorySegment(F, w, o + 8L * len, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, i + 2 * len), a2);
            a3 = FloatVector.fromMemorySegment(F, w, o + 12L * len, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, i + 3 * len), a3);
        }
        for (int upper = n - len; i <= upper; i += len)
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, i), a0);
        float acc = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) acc += w.get(FLOAT_LE, off + 4L * i) * x[i];
        return acc;
    }

    /** Plain reference for {@link #matvec}. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            float acc = 0;
            long base = (long) r * cols * 4;
            for (int c = 0; c < cols; c++) acc += w.get(FLOAT_LE, base + 4L * c) * x[c];
            y[r] = acc;
        }
    }
}
