package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.I;
import static ai.lort.kernel.VectorSpecs.S;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import ai.lort.format.QuantizedTensor;
import ai.lort.pack.GroupQuantizer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A group-quantized kept matrix ({@code q8-g32} or {@code q4-g32}, {@link QuantizedTensor}): the
 * output head and the embedding table, read in place, each code byte once per product.
 *
 * <p>The matvec takes rows four at a time (each x load serves four rows, and four independent
 * accumulator chains keep the FMAs apart). Per row and 32-weight group it sums codes times x in
 * float lanes, then adds that times the group's scale to the row's accumulator. 4-bit codes are
 * nibbles {@code c + 8}: a 16-byte load (16 float lanes) zero-extended to ints gives the 16 low
 * nibbles (weights 0-15 of the group) with a mask and the 16 high ones (weights 16-31) with a shift; each group's
 * lane sums start from {@code -8·x} summed per lane ({@link #offsets}, once per call), so the
 * offset costs no operation per row. The scales of a block of rows are converted to floats
 * together before its groups. Every row takes the same operations in a block or alone, so a row
 * split changes no bit. A few tokens together ({@link #matmulFew}: several sequences decoded at
 * once) decode each row's codes once for up to four tokens, each token taking its matvec's
 * operations; larger batches decode rows to floats ({@link #decodeRow}) for the dense tile and
 * packed product.
 */
public final class GroupQuantMatrix extends DenseMatrix {
    private static final int GROUP = GroupQuantizer.GROUP, HALF = GROUP / 2;
    /** As many bytes as {@link VectorSpecs#F} has floats. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    private static final int LEN = F.length();
    /** Rows per block of the matvec. */
    private static final int ROWS = 4;
    /** Per-thread x padded to whole groups, the 4-bit offsets ({@link #offsets}), a block's scales, its accumulators. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** Tokens {@link #matmulFew} runs through one row's decoded codes at once. */
    private static final int FEW = 4;

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
        int padded = groups * GROUP, offsets = padded, block = offsets + groups * LEN, sums = block + ROWS * groups;
        float[] s = SCRATCH.get();
        if (s.length < sums + ROWS * LEN) SCRATCH.set(s = new float[sums + ROWS * LEN]);
        System.arraycopy(x, 0, s, 0, cols);
        java.util.Arrays.fill(s, cols, padded, 0);
        if (bits == 4) offsets(s, 0, offsets);
        int r = rowFrom;
        for (; r + ROWS <= rowTo; r += ROWS) {
            scales(r, ROWS, s, block);
            if (bits == 4) dots4(r, s, offsets, block, sums);
            else dots8(r, s, block, sums);
            sum(s, sums, ROWS, y, r);
        }
        // The last rows one at a time: the same operations as in a block, so the split changes no bit.
        for (; r < rowTo; r++) {
            scales(r, 1, s, block);
            if (bits == 4) dot4(r, s, offsets, block, sums);
            else dot8(r, s, block, sums);
            sum(s, sums, 1, y, r);
        }
    }

    /**
     * {@code y[r + k]} = the lanes of the k-th accumulator at {@code s[at + k·LEN]} summed. Apart
     * from the large kernels: a vector passed to a call that C2 does not inline is boxed, and
     * {@link Lanes#sum} inlines into this small loop.
     */
    private static void sum(float[] s, int at, int n, float[] y, int r) {
        for (int k = 0; k < n; k++) y[r + k] = Lanes.sum(FloatVector.fromArray(F, s, at + k * LEN));
    }

    /**
     * The 4-bit offset per group, in vector lanes: lane i of group g holds {@code -8 · Σ x_j} over
     * the group's columns j with {@code j ≡ i (mod LEN)}, the columns that lane i multiplies. A
     * group's product starts from it, so the nibbles enter unshifted.
     */
    private void offsets(float[] s, int x, int at) {
        for (int g = 0; g < groups; g++) {
            FloatVector sum = FloatVector.fromArray(F, s, x + g * GROUP);
            for (int c = LEN; c < GROUP; c += LEN) sum = sum.add(FloatVector.fromArray(F, s, x + g * GROUP + c));
            sum.mul(-8f).intoArray(s, at + g * LEN);
        }
    }

    /**
     * Tokens {@code xs[0, n)}: per token its x padded and (4-bit) its offsets, then every row's
     * codes decoded once per group for four tokens at a time (a short last four repeats its last
     * token: the same work, the same result). Each token's per-row operations are those of
     * {@link #dots4} / {@link #dots8} in the same order, so every token gets its matvec's bits.
     */
    @Override
    void matmulFew(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        if (rowFrom >= rowTo) return;
        int padded = groups * GROUP, stride = padded + groups * LEN, sc = n * stride, acc = sc + ROWS * groups;
        float[] s = SCRATCH.get();
        if (s.length < acc + FEW * LEN) SCRATCH.set(s = new float[acc + FEW * LEN]);
        for (int t = 0; t < n; t++) {
            System.arraycopy(xs[t], 0, s, t * stride, cols);
            java.util.Arrays.fill(s, t * stride + cols, t * stride + padded, 0);
            if (bits == 4) offsets(s, t * stride, t * stride + padded);
        }
        for (int r = rowFrom; r < rowTo; r += ROWS) {
            int m = Math.min(ROWS, rowTo - r);
            scales(r, m, s, sc);
            for (int i = 0; i < m; i++)
                for (int t = 0; t < n; t += FEW) {
                    int t1 = Math.min(t + 1, n - 1), t2 = Math.min(t + 2, n - 1), t3 = Math.min(t + 3, n - 1);
                    if (bits == 4) few4(r + i, s, t * stride, t1 * stride, t2 * stride, t3 * stride, padded, sc + i * groups, acc);
                    else few8(r + i, s, t * stride, t1 * stride, t2 * stride, t3 * stride, sc + i * groups, acc);
                    for (int k = 0; k < FEW && t + k < n; k++) ys[t + k][r + i] = Lanes.sum(FloatVector.fromArray(F, s, acc + k * LEN));
                }
        }
    }

    /**
     * Row {@code row} of a 4-bit matrix for four tokens whose x start at {@code s[x0..)} ..
     * {@code s[x3..)} and offsets {@code off} floats later; the row's scales at {@code s[sc..)};
     * the four accumulators to {@code s[acc..)}. The nibbles are converted once for the four.
     */
    private void few4(int row, float[] s, int x0, int x1, int x2, int x3, int off, int sc, int acc) {
        long o = (long) row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            int go = off + g * LEN;
            FloatVector t0 = FloatVector.fromArray(F, s, x0 + go), t1 = FloatVector.fromArray(F, s, x1 + go);
            FloatVector t2 = FloatVector.fromArray(F, s, x2 + go), t3 = FloatVector.fromArray(F, s, x3 + go);
            for (int h = 0; h < HALF; h += LEN) {
                IntVector v = bytes(o + (long) g * HALF + h);
                FloatVector lo = low(v), hi = high(v);
                int l = g * GROUP + h, u = l + HALF;
                t0 = hi.fma(FloatVector.fromArray(F, s, x0 + u), lo.fma(FloatVector.fromArray(F, s, x0 + l), t0));
                t1 = hi.fma(FloatVector.fromArray(F, s, x1 + u), lo.fma(FloatVector.fromArray(F, s, x1 + l), t1));
                t2 = hi.fma(FloatVector.fromArray(F, s, x2 + u), lo.fma(FloatVector.fromArray(F, s, x2 + l), t2));
                t3 = hi.fma(FloatVector.fromArray(F, s, x3 + u), lo.fma(FloatVector.fromArray(F, s, x3 + l), t3));
            }
            FloatVector d = FloatVector.broadcast(F, s[sc + g]);
            a0 = t0.fma(d, a0);
            a1 = t1.fma(d, a1);
            a2 = t2.fma(d, a2);
            a3 = t3.fma(d, a3);
        }
        a0.intoArray(s, acc);
        a1.intoArray(s, acc + LEN);
        a2.intoArray(s, acc + 2 * LEN);
        a3.intoArray(s, acc + 3 * LEN);
    }

    /** Row {@code row} of an 8-bit matrix for four tokens; the layout of {@link #few4}, without offsets. */
    private void few8(int row, float[] s, int x0, int x1, int x2, int x3, int sc, int acc) {
        long o = (long) row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
            for (int h = 0; h < GROUP; h += LEN) {
                FloatVector w = (FloatVector) signedBytes(o + (long) g * GROUP + h).convert(VectorOperators.I2F, 0);
                int c = g * GROUP + h;
                t0 = w.fma(FloatVector.fromArray(F, s, x0 + c), t0);
                t1 = w.fma(FloatVector.fromArray(F, s, x1 + c), t1);
                t2 = w.fma(FloatVector.fromArray(F, s, x2 + c), t2);
                t3 = w.fma(FloatVector.fromArray(F, s, x3 + c), t3);
            }
            FloatVector d = FloatVector.broadcast(F, s[sc + g]);
            a0 = t0.fma(d, a0);
            a1 = t1.fma(d, a1);
            a2 = t2.fma(d, a2);
            a3 = t3.fma(d, a3);
        }
        a0.intoArray(s, acc);
        a1.intoArray(s, acc + LEN);
        a2.intoArray(s, acc + 2 * LEN);
        a3.intoArray(s, acc + 3 * LEN);
    }

    /**
     * The scales of rows r..r+n-1 as floats at {@code s[at + k·groups + g]} (they are contiguous in
     * the file). Exact either way: vector conversion ({@link VectorSpecs#halfToFloat}, inline) where
     * a whole vector lies inside the scales, {@link Float#float16ToFloat} for the rest.
     */
    private void scales(int r, int n, float[] s, int at) {
        long from = (long) r * groups, total = (long) rows * groups;
        int count = n * groups, i = 0;
        for (; i + LEN <= count && from + i + LEN <= total; i += LEN) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, scales, 2 * (from + i), ByteOrder.LITTLE_ENDIAN).castShape(I, 0);
            IntVector em = h.and(0x7FFF);
            IntVector normal = em.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            IntVector sub = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector bits = normal.blend(sub, em.compare(VectorOperators.LT, 0x400)).blend(normal.add(112 << 23), em.compare(VectorOperators.GE, 0x7C00));
            bits.or(h.and(0x8000_0000)).reinterpretAsFloats().intoArray(s, at + i);
        }
        for (; i < count; i++) s[at + i] = Float.float16ToFloat(scales.getAtIndex(SHORT_LE, from + i));
    }

    private float scale(int row, int g) { return Float.float16ToFloat(scales.getAtIndex(SHORT_LE, (long) row * groups + g)); }

    /** The zero-extended code bytes at {@code off}, one per int lane. */
    private IntVector bytes(long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, codes, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** The sign-extended code bytes at {@code off}, one per int lane. */
    private IntVector signedBytes(long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, codes, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector low(IntVector v) { return (FloatVector) v.and(15).convert(VectorOperators.I2F, 0); }

    private static FloatVector high(IntVector v) { return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0); }

    /**
     * Rows r..r+3 of a 4-bit matrix: x at {@code s[0..)}, offsets at {@code s[off..)}, the rows'
     * scales at {@code s[sc..)}; each row's accumulator (lanes still to sum) to {@code s[acc..)}. Per row and group: {@code t = off_g + Σ nibble·x} in lanes,
     * then {@code acc += d·t}. Four rows share each x load and keep four independent chains.
     */
    private void dots4(int r, float[] s, int off, int sc, int acc) {
        long o0 = (long) r * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int g1 = sc + groups, g2 = g1 + groups, g3 = g2 + groups;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.fromArray(F, s, off + g * LEN), t1 = t0, t2 = t0, t3 = t0;
            for (int h = 0; h < HALF; h += LEN) {
                long at = (long) g * HALF + h;
                FloatVector xl = FloatVector.fromArray(F, s, g * GROUP + h), xh = FloatVector.fromArray(F, s, g * GROUP + HALF + h);
                IntVector v0 = bytes(o0 + at), v1 = bytes(o1 + at), v2 = bytes(o2 + at), v3 = bytes(o3 + at);
                t0 = high(v0).fma(xh, low(v0).fma(xl, t0));
                t1 = high(v1).fma(xh, low(v1).fma(xl, t1));
                t2 = high(v2).fma(xh, low(v2).fma(xl, t2));
                t3 = high(v3).fma(xh, low(v3).fma(xl, t3));
            }
            a0 = t0.fma(FloatVector.broadcast(F, s[sc + g]), a0);
            a1 = t1.fma(FloatVector.broadcast(F, s[g1 + g]), a1);
            a2 = t2.fma(FloatVector.broadcast(F, s[g2 + g]), a2);
            a3 = t3.fma(FloatVector.broadcast(F, s[g3 + g]), a3);
        }
        a0.intoArray(s, acc);
        a1.intoArray(s, acc + LEN);
        a2.intoArray(s, acc + 2 * LEN);
        a3.intoArray(s, acc + 3 * LEN);
    }

    /** Row r alone, the arithmetic of {@link #dots4} for one row. */
    private void dot4(int r, float[] s, int off, int sc, int acc) {
        long o0 = (long) r * rowBytes;
        FloatVector a0 = FloatVector.zero(F);
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.fromArray(F, s, off + g * LEN);
            for (int h = 0; h < HALF; h += LEN) {
                FloatVector xl = FloatVector.fromArray(F, s, g * GROUP + h), xh = FloatVector.fromArray(F, s, g * GROUP + HALF + h);
                IntVector v0 = bytes(o0 + (long) g * HALF + h);
                t0 = high(v0).fma(xh, low(v0).fma(xl, t0));
            }
            a0 = t0.fma(FloatVector.broadcast(F, s[sc + g]), a0);
        }
        a0.intoArray(s, acc);
    }

    /** Rows r..r+3 of an 8-bit matrix; the layout of {@link #dots4}, without offsets. */
    private void dots8(int r, float[] s, int sc, int acc) {
        long o0 = (long) r * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int g1 = sc + groups, g2 = g1 + groups, g3 = g2 + groups;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
            for (int h = 0; h < GROUP; h += LEN) {
                long at = (long) g * GROUP + h;
                FloatVector xv = FloatVector.fromArray(F, s, g * GROUP + h);
                t0 = ((FloatVector) signedBytes(o0 + at).convert(VectorOperators.I2F, 0)).fma(xv, t0);
                t1 = ((FloatVector) signedBytes(o1 + at).convert(VectorOperators.I2F, 0)).fma(xv, t1);
                t2 = ((FloatVector) signedBytes(o2 + at).convert(VectorOperators.I2F, 0)).fma(xv, t2);
                t3 = ((FloatVector) signedBytes(o3 + at).convert(VectorOperators.I2F, 0)).fma(xv, t3);
            }
            a0 = t0.fma(FloatVector.broadcast(F, s[sc + g]), a0);
            a1 = t1.fma(FloatVector.broadcast(F, s[g1 + g]), a1);
            a2 = t2.fma(FloatVector.broadcast(F, s[g2 + g]), a2);
            a3 = t3.fma(FloatVector.broadcast(F, s[g3 + g]), a3);
        }
        a0.intoArray(s, acc);
        a1.intoArray(s, acc + LEN);
        a2.intoArray(s, acc + 2 * LEN);
        a3.intoArray(s, acc + 3 * LEN);
    }

    /** Row r alone, the arithmetic of {@link #dots8} for one row. */
    private void dot8(int r, float[] s, int sc, int acc) {
        long o0 = (long) r * rowBytes;
        FloatVector a0 = FloatVector.zero(F);
        for (int g = 0; g < groups; g++) {
            FloatVector t0 = FloatVector.zero(F);
            for (int h = 0; h < GROUP; h += LEN)
                t0 = ((FloatVector) signedBytes(o0 + (long) g * GROUP + h).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, s, g * GROUP + h), t0);
            a0 = t0.fma(FloatVector.broadcast(F, s[sc + g]), a0);
        }
        a0.intoArray(s, acc);
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
