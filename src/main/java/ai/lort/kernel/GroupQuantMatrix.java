package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.I;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import ai.lort.format.QuantizedTensor;
import ai.lort.pack.GroupQuantizer;
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
 * A group-quantized kept matrix ({@code q8-g32} or {@code q4-g32}, {@link QuantizedTensor}): the
 * output head and the embedding table, read in place, each code byte once per product.
 *
 * <p>The matvec sums each 32-weight group's codes times x in a vector ({@code Σ code·x}), then
 * adds it times the group's scale into the row's accumulator. 4-bit codes are nibbles
 * {@code c + 8}: a 16-byte load widened to ints gives 16 low nibbles (weights 0-15 of the group)
 * with one mask and 16 high ones (weights 16-31) with a shift and a mask; the offset is taken out
 * once per group as {@code 8·d·Σx} (the group sums of x are computed once per call). Two rows run
 * together (each x load serves both) with two accumulators each, so the adds of consecutive groups
 * do not wait on each other. Batched products decode rows to floats ({@link #decodeRow}) for the
 * dense tile and packed product.
 */
public final class GroupQuantMatrix extends DenseMatrix {
    private static final int GROUP = GroupQuantizer.GROUP, HALF = GROUP / 2;
    /** As many bytes as {@link VectorSpecs#F} has floats. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    private static final int LEN = F.length();
    /** Per-thread x padded to whole groups, then the group sums of x. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private final QuantizedTensor t;
    private final MemorySegment codes, scales;
    private final int bits, groups, rowBytes;

    public GroupQuantMatrix(QuantizedTensor t) {
        super(t.rows(), t.cols());
        this.t = t;
        this.codes = t.codes();
        this.scales = t.scales();
        this.bits = t.encoding().bits();
        this.groups = t.groups();
        this.rowBytes = t.rowBytes();
    }

    @Override public long weightBytes() { return t.byteSize(); }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (rowFrom >= rowTo) return;
        int padded = groups * GROUP;
        float[] s = SCRATCH.get();
        if (s.length < padded + groups) SCRATCH.set(s = new float[padded + groups]);
        System.arraycopy(x, 0, s, 0, cols);
        java.util.Arrays.fill(s, cols, padded, 0);
        if (bits == 4) for (int g = 0; g < groups; g++) s[padded + g] = groupSum(s, g * GROUP);
        int r = rowFrom;
        for (; r + 1 < rowTo; r += 2) {
            if (bits == 4) dots4(r, s, padded, y);
            else dots8(r, s, y);
        }
        if (r < rowTo) {
            // A lone last row: the same operations as its half of a pair, so the split changes no bit.
            if (bits == 4) dots4Single(r, s, padded, y);
            else dots8Single(r, s, y);
        }
    }

    /** {@code Σ x} over one group, in a fixed order. */
    private static float groupSum(float[] x, int at) {
        float sum = 0;
        for (int j = 0; j < GROUP; j++) sum += x[at + j];
        return sum;
    }

    private float scale(int row, int g) { return Float.float16ToFloat(scales.getAtIndex(SHORT_LE, (long) row * groups + g)); }

    /** Rows r and r + 1 of a 4-bit matrix into y. */
    private void dots4(int r, float[] x, int sumsAt, float[] y) {
        long o0 = (long) r * rowBytes, o1 = o0 + rowBytes;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0;
        float c0 = 0, c1 = 0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F), t1 = t0;
            for (int h = 0; h < HALF; h += LEN) {
                long at = (long) g * HALF + h;
                FloatVector xl = FloatVector.fromArray(F, x, g * GROUP + h), xh = FloatVector.fromArray(F, x, g * GROUP + HALF + h);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, codes, o0 + at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, codes, o1 + at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                t0 = ((FloatVector) v0.and(15).convert(VectorOperators.I2F, 0)).fma(xl, t0);
                t0 = ((FloatVector) v0.lanewise(VectorOperators.ASHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(xh, t0);
                t1 = ((FloatVector) v1.and(15).convert(VectorOperators.I2F, 0)).fma(xl, t1);
                t1 = ((FloatVector) v1.lanewise(VectorOperators.ASHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(xh, t1);
            }
            float d0 = scale(r, g), d1 = scale(r + 1, g), sx = x[sumsAt + g];
            c0 += d0 * sx;
            c1 += d1 * sx;
            if ((g & 1) == 0) {
                a0 = t0.fma(FloatVector.broadcast(F, d0), a0);
                a1 = t1.fma(FloatVector.broadcast(F, d1), a1);
            } else {
                b0 = t0.fma(FloatVector.broadcast(F, d0), b0);
                b1 = t1.fma(FloatVector.broadcast(F, d1), b1);
            }
        }
        y[r] = Lanes.sum(a0.add(b0)) - 8 * c0;
        y[r + 1] = Lanes.sum(a1.add(b1)) - 8 * c1;
    }

    /** Row r alone, the arithmetic of {@link #dots4} for one row. */
    private void dots4Single(int r, float[] x, int sumsAt, float[] y) {
        long o0 = (long) r * rowBytes;
        FloatVector a0 = FloatVector.zero(F), b0 = a0;
        float c0 = 0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F);
            for (int h = 0; h < HALF; h += LEN) {
                long at = (long) g * HALF + h;
                FloatVector xl = FloatVector.fromArray(F, x, g * GROUP + h), xh = FloatVector.fromArray(F, x, g * GROUP + HALF + h);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, codes, o0 + at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                t0 = ((FloatVector) v0.and(15).convert(VectorOperators.I2F, 0)).fma(xl, t0);
                t0 = ((FloatVector) v0.lanewise(VectorOperators.ASHR, 4).and(15).convert(VectorOperators.I2F, 0)).fma(xh, t0);
            }
            float d0 = scale(r, g);
            c0 += d0 * x[sumsAt + g];
            if ((g & 1) == 0) a0 = t0.fma(FloatVector.broadcast(F, d0), a0);
            else b0 = t0.fma(FloatVector.broadcast(F, d0), b0);
        }
        y[r] = Lanes.sum(a0.add(b0)) - 8 * c0;
    }

    /** Rows r and r + 1 of an 8-bit matrix into y. */
    private void dots8(int r, float[] x, float[] y) {
        long o0 = (long) r * rowBytes, o1 = o0 + rowBytes;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F), t1 = t0;
            for (int h = 0; h < GROUP; h += LEN) {
                long at = (long) g * GROUP + h;
                FloatVector xv = FloatVector.fromArray(F, x, g * GROUP + h);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, codes, o0 + at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, codes, o1 + at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                t0 = ((FloatVector) v0.convert(VectorOperators.I2F, 0)).fma(xv, t0);
                t1 = ((FloatVector) v1.convert(VectorOperators.I2F, 0)).fma(xv, t1);
            }
            float d0 = scale(r, g), d1 = scale(r + 1, g);
            if ((g & 1) == 0) {
                a0 = t0.fma(FloatVector.broadcast(F, d0), a0);
                a1 = t1.fma(FloatVector.broadcast(F, d1), a1);
            } else {
                b0 = t0.fma(FloatVector.broadcast(F, d0), b0);
                b1 = t1.fma(FloatVector.broadcast(F, d1), b1);
            }
        }
        y[r] = Lanes.sum(a0.add(b0));
        y[r + 1] = Lanes.sum(a1.add(b1));
    }

    /** Row r alone, the arithmetic of {@link #dots8} for one row. */
    private void dots8Single(int r, float[] x, float[] y) {
        long o0 = (long) r * rowBytes;
        FloatVector a0 = FloatVector.zero(F), b0 = a0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F);
            for (int h = 0; h < GROUP; h += LEN) {
                FloatVector xv = FloatVector.fromArray(F, x, g * GROUP + h);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, codes, o0 + (long) g * GROUP + h, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                t0 = ((FloatVector) v0.convert(VectorOperators.I2F, 0)).fma(xv, t0);
            }
            float d0 = scale(r, g);
            if ((g & 1) == 0) a0 = t0.fma(FloatVector.broadcast(F, d0), a0);
            else b0 = t0.fma(FloatVector.broadcast(F, d0), b0);
        }
        y[r] = Lanes.sum(a0.add(b0));
    }

    /** Weights (row, from..to) as floats: {@code d · code}, exact in float32. */
    @Override
    void decodeRow(int row, int from, int to, float[] out, int at) {
        long off = (long) row * rowBytes;
        int j = from;
        while (j < to) {
            int g = j / GROUP, k = j % GROUP;
            float d = scale(row, g);
            if (k == 0 && j + GROUP <= to) {
                FloatVector dv = FloatVector.broadcast(F, d);
                if (bits == 8) {
                    for (int h = 0; h < GROUP; h += LEN) {
                        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, codes, off + (long) g * GROUP + h, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(dv).intoArray(out, at + j - from + h);
                    }
                } else {
                    for (int h = 0; h < HALF; h += LEN) {
                        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, codes, off + (long) g * HALF + h, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
                        ((FloatVector) v.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(dv).intoArray(out, at + j - from + h);
                        ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(dv).intoArray(out, at + j - from + HALF + h);
                    }
                }
                j += GROUP;
            } else {
                out[at + j - from] = d * code(off, j);
                j++;
            }
        }
    }

    /** The integer code of weight j of the row at {@code off}. */
    private int code(long off, int j) {
        if (bits == 8) return codes.get(ValueLayout.JAVA_BYTE, off + j);
        int g = j / GROUP, k = j % GROUP;
        int b = codes.get(ValueLayout.JAVA_BYTE, off + (long) g * HALF + k % HALF) & 0xFF;
        return (k < HALF ? b & 15 : b >>> 4) - 8;
    }

    /** Plain reference for {@link #matvec}: {@code Σ_j d_g(j) · code_j · x_j} in column order. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            float acc = 0;
            for (int j = 0; j < cols; j++) acc += scale(r, j / GROUP) * code((long) r * rowBytes, j) * x[j];
            y[r] = acc;
        }
    }
}
