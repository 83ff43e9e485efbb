package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.S;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;
import static ai.lort.kernel.VectorSpecs.halfToFloat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Dense IEEE float16 weights, row-major little-endian, read in place (e.g. from a mapped file). */
public final class F16Matrix implements Matrix {
    private final MemorySegment w;
    private final int rows, cols;

    public F16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) throw new IllegalArgumentException("F16 " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        this.w = w;
        this.rows = rows;
        this.cols = cols;
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long weightBytes() { return w.byteSize(); }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) y[r] = dot(w, (long) r * cols * 2, x, 0, cols);
    }

    private static FloatVector load(MemorySegment w, long off) {
        return halfToFloat(ShortVector.fromMemorySegment(S, w, off, ByteOrder.LITTLE_ENDIAN));
    }

    /** {@code Σ w[i]·x[xOff+i]} for the {@code n} float16 at byte {@code off} of {@code w}. */
    static float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        int len = F.length(), i = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int upper = n - 4 * len; i <= upper; i += 4 * len) {
            long o = off + 2L * i;
            a0 = load(w, o).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = load(w, o + 2L * len).fma(FloatVector.fromArray(F, x, xOff + i + len), a1);
            a2 = load(w, o + 4L * len).fma(FloatVector.fromArray(F, x, xOff + i + 2 * len), a2);
            a3 = load(w, o + 6L * len).fma(FloatVector.fromArray(F, x, xOff + i + 3 * len), a3);
        }
        for (int upper = n - len; i <= upper; i += len) a0 = load(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        float acc = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) acc += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        return acc;
    }

    /** Plain reference for {@link #matvec}. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            float acc = 0;
            long base = (long) r * cols * 2;
            for (int c = 0; c < cols; c++) acc += Float.float16ToFloat(w.get(SHORT_LE, base + 2L * c)) * x[c];
            y[r] = acc;
        }
    }
}
