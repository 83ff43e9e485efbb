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

/**
 * Dense IEEE float16 weights, row-major little-endian, read in place (e.g. from a mapped file).
 *
 * <p>Two decodes: {@link #dotPlain} (4 vector ops per 16 halves) when the construction-time scan
 * finds only zero and normal halves, as trained weights nearly always are; {@link #dot} (12 ops,
 * exact for subnormal, Inf and NaN too) otherwise.
 */
public final class F16Matrix extends DenseMatrix {
    private final MemorySegment w;
    private final boolean plain;

    public F16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) throw new IllegalArgumentException("F16 " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        super(rows, cols);
        this.w = w;
        this.plain = plainHalves(w);
    }

    @Override public long weightBytes() { return w.byteSize(); }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (plain) for (int r = rowFrom; r < rowTo; r++) y[r] = dotPlain(w, (long) r * cols * 2, x, 0, cols);
        else for (int r = rowFrom; r < rowTo; r++) y[r] = dot(w, (long) r * cols * 2, x, 0, cols);
    }

    /** Decodes as {@link #dotPlain} or {@link #dot} do, by the same scan. */
    @Override
    void decodeRow(int row, int from, int to, float[] out, int at) {
        long off = ((long) row * cols + from) * 2;
        int n = to - from, len = F.length(), i = 0;
        if (plain) {
            for (int upper = n - len; i <= upper; i += len) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                h.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).intoArray(out, at + i);
            }
        } else {
            for (int upper = n - len; i <= upper; i += len) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
                IntVector em = h.and(0x7FFF);
                IntVector normal = em.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
                IntVector sub = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
                IntVector bits = normal.blend(sub, em.compare(VectorOperators.LT, 0x400)).blend(normal.add(112 << 23), em.compare(VectorOperators.GE, 0x7C00));
                bits.or(h.and(0x8000_0000)).reinterpretAsFloats().intoArray(out, at + i);
            }
        }
        for (; i < n; i++) out[at + i] = Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i));
    }

    /** {@code Σ w[i]·x[xOff+i]} for the {@code n} float16 at byte {@code off} of {@code w}. */
    static float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        // One loop, one accumulator: the decode is long enough to keep the FMAs apart, and a
        // bigger body makes C2 stop inlining the vector calls (then every vector is boxed).
        int len = F.length(), i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int upper = n - len; i <= upper; i += len) {
            // VectorSpecs.halfToFloat, inline.
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            IntVector em = h.and(0x7FFF);
            IntVector normal = em.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            IntVector sub = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector bits = normal.blend(sub, em.compare(VectorOperators.LT, 0x400)).blend(normal.add(112 << 23), em.compare(VectorOperators.GE, 0x7C00));
            FloatVector f = bits.or(h.and(0x8000_0000)).reinterpretAsFloats();
            acc = f.fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) sum += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        return sum;
    }

    /**
     * True when every half of {@code w} is zero or normal (no subnormal, Inf or NaN), so that
     * {@link #dotPlain} is exact and fast. One pass over the weights, once.
     */
    static boolean plainHalves(MemorySegment w) {
        for (long i = 0, n = w.byteSize() / 2; i < n; i++) {
            int em = w.getAtIndex(SHORT_LE, i) & 0x7FFF;
            if ((em < 0x400 && em != 0) || em >= 0x7C00) return false;
        }
        return true;
    }

    /**
     * {@link #dot} for halves that are all zero or normal: shifted into place and rebiased by one
     * multiply by 2^112, exact for those (and for subnormals, but a float op on a subnormal
     * operand costs an x86 microcode assist, hence the scan).
     */
    static float dotPlain(MemorySegment w, long off, float[] x, int xOff, int n) {
        int len = F.length(), i = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int upper = n - 2 * len; i <= upper; i += 2 * len) {
            // Sign-extended shorts: after << 13 bits 28..30 hold copies of the sign; the mask drops them.
            IntVector h0 = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            IntVector h1 = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * (i + len), ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            a0 = h0.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = h1.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xOff + i + len), a1);
        }
        if (i <= n - len) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off + 2L * i, ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            a0 = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            i += len;
        }
        float sum = Lanes.sum(a0.add(a1));
        for (; i < n; i++) sum += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        return sum;
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
