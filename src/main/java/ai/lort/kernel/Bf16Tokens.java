package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.I;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Bfloat16 rows times a few tokens at once (sequences decoded together, fewer than
 * {@link DenseBatch#TOKENS}): each weight pair is loaded and widened once for up to four tokens,
 * where a matvec per token loads and widens it once per token. Every token's sum is
 * {@link Bf16Matrix#dot}'s, operation for operation (the same four accumulators per token, the
 * same lane sum and scalar tail), so a token gets the bits it gets alone.
 */
final class Bf16Tokens {
    private Bf16Tokens() {}

    /** Per-thread even/odd splits of the tokens ({@link Bf16Matrix#dot}'s x layout), grown once. */
    private static final ThreadLocal<float[][]> SPLITS = ThreadLocal.withInitial(() -> new float[0][]);

    /** {@code ys[t][r] = W[r] · xs[t]} for {@code t < n} and r in {@code [rowFrom, rowTo)}. */
    static void matmul(MemorySegment w, int cols, float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        int half = cols / 2;
        float[][] split = SPLITS.get();
        if (split.length < n) SPLITS.set(split = java.util.Arrays.copyOf(split, n));
        for (int t = 0; t < n; t++) {
            if (split[t] == null || split[t].length < 2 * half) split[t] = new float[2 * half];
            float[] s = split[t], x = xs[t];
            for (int i = 0; i < half; i++) {
                s[i] = x[2 * i];
                s[half + i] = x[2 * i + 1];
            }
        }
        for (int r = rowFrom; r < rowTo; r++) {
            long off = (long) r * cols * 2;
            int t = 0;
            for (; t + 4 <= n; t += 4) dot4(w, off, xs, split, t, cols, ys, r);
            for (; t < n; t++) ys[t][r] = Bf16Matrix.dot(w, off, xs[t], split[t], cols);
        }
    }

    /** Four tokens from {@code t0}: {@link Bf16Matrix#dot} of each, the weights loaded once. */
    private static void dot4(MemorySegment w, long off, float[][] xs, float[][] split, int t0, int n, float[][] ys, int r) {
        int len = F.length(), half = n / 2, i = 0;
        float[] a = split[t0], b = split[t0 + 1], c = split[t0 + 2], d = split[t0 + 3];
        FloatVector ae0 = FloatVector.zero(F), ao0 = ae0, ae1 = ae0, ao1 = ae0, be0 = ae0, bo0 = ae0, be1 = ae0, bo1 = ae0;
        FloatVector ce0 = ae0, co0 = ae0, ce1 = ae0, co1 = ae0, de0 = ae0, do0 = ae0, de1 = ae0, do1 = ae0;
        for (int upper = half - 2 * len; i <= upper; i += 2 * len) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector p1 = IntVector.fromMemorySegment(I, w, off + 4L * (i + len), ByteOrder.LITTLE_ENDIAN);
            FloatVector we0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), wo0 = p0.and(0xFFFF_0000).reinterpretAsFloats();
            FloatVector we1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), wo1 = p1.and(0xFFFF_0000).reinterpretAsFloats();
            ae0 = we0.fma(FloatVector.fromArray(F, a, i), ae0);
            ao0 = wo0.fma(FloatVector.fromArray(F, a, half + i), ao0);
            ae1 = we1.fma(FloatVector.fromArray(F, a, i + len), ae1);
            ao1 = wo1.fma(FloatVector.fromArray(F, a, half + i + len), ao1);
            be0 = we0.fma(FloatVector.fromArray(F, b, i), be0);
            bo0 = wo0.fma(FloatVector.fromArray(F, b, half + i), bo0);
            be1 = we1.fma(FloatVector.fromArray(F, b, i + len), be1);
            bo1 = wo1.fma(FloatVector.fromArray(F, b, half + i + len), bo1);
            ce0 = we0.fma(FloatVector.fromArray(F, c, i), ce0);
            co0 = wo0.fma(FloatVector.fromArray(F, c, half + i), co0);
            ce1 = we1.fma(FloatVector.fromArray(F, c, i + len), ce1);
            co1 = wo1.fma(FloatVector.fromArray(F, c, half + i + len), co1);
            de0 = we0.fma(FloatVector.fromArray(F, d, i), de0);
            do0 = wo0.fma(FloatVector.fromArray(F, d, half + i), do0);
            de1 = we1.fma(FloatVector.fromArray(F, d, i + len), de1);
            do1 = wo1.fma(FloatVector.fromArray(F, d, half + i + len), do1);
        }
        for (int upper = half - len; i <= upper; i += len) {
            IntVector p = IntVector.fromMemorySegment(I, w, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
            FloatVector we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), wo = p.and(0xFFFF_0000).reinterpretAsFloats();
            ae0 = we.fma(FloatVector.fromArray(F, a, i), ae0);
            ao0 = wo.fma(FloatVector.fromArray(F, a, half + i), ao0);
            be0 = we.fma(FloatVector.fromArray(F, b, i), be0);
            bo0 = wo.fma(FloatVector.fromArray(F, b, half + i), bo0);
            ce0 = we.fma(FloatVector.fromArray(F, c, i), ce0);
            co0 = wo.fma(FloatVector.fromArray(F, c, half + i), co0);
            de0 = we.fma(FloatVector.fromArray(F, d, i), de0);
            do0 = wo.fma(FloatVector.fromArray(F, d, half + i), do0);
        }
        ys[t0][r] = tail(Lanes.sum(ae0.add(ao0).add(ae1.add(ao1))), w, off, xs[t0], 2 * i, n);
        ys[t0 + 1][r] = tail(Lanes.sum(be0.add(bo0).add(be1.add(bo1))), w, off, xs[t0 + 1], 2 * i, n);
        ys[t0 + 2][r] = tail(Lanes.sum(ce0.add(co0).add(ce1.add(co1))), w, off, xs[t0 + 2], 2 * i, n);
        ys[t0 + 3][r] = tail(Lanes.sum(de0.add(do0).add(de1.add(do1))), w, off, xs[t0 + 3], 2 * i, n);
    }

    /** The columns past the last whole vector pair, in order, as {@link Bf16Matrix#dot} adds them. */
    private static float tail(float acc, MemorySegment w, long off, float[] x, int from, int n) {
        for (int c = from; c < n; c++) acc += Float.intBitsToFloat((w.get(SHORT_LE, off + 2L * c) & 0xFFFF) << 16) * x[c];
        return acc;
    }
}
