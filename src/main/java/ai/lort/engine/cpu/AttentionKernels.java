package ai.lort.engine.cpu;

import ai.lort.engine.Backend.Attention;
import ai.lort.kernel.Lanes;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of one query head's attention: the scores (dot products with the keys, as stored
 * or transposed) and the weighted sum of the values, each beside its scalar reference. The softmax
 * between them is {@link Softmax}; {@link AttentionTask} puts them together per (token, head).
 *
 * <p>The species stays a constant throughout: passed as an argument, C2 may not intrinsify the
 * vectors and boxes every one of them.
 */
final class AttentionKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** How far score blocks may run past a span: transposed key rows and score rows are that much longer. */
    static final int SLACK = 4 * F.length();
    /** Floats per vector: head sizes that are a multiple of it take the vector paths. */
    static final int LANES = F.length();

    private AttentionKernels() {}

    /**
     * {@code Σ a[ao + i] · b[bo + i]}, i < n: the Vector API when n is a whole number of vectors
     * (one FMA chain per lane, then {@link Lanes#sum}), else {@link #scalarDot} (tiny heads such as
     * stories260K's 8).
     */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        if (n % F.length() != 0) return scalarDot(a, ao, b, bo, n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += F.length())
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        return Lanes.sum(acc);
    }

    /** The reference for {@link #dot}: products added in order, each rounded. */
    static float scalarDot(float[] a, int ao, float[] b, int bo, int n) {
        float acc = 0;
        for (int i = 0; i < n; i++) acc += a[ao + i] * b[bo + i];
        return acc;
    }

    /**
     * Keys {@code [lo, hi)} per kv head, transposed: {@code kt[h][d][s - lo]}, each row padded with
     * {@link #SLACK} zeros past the span so that score blocks may run over it. Reuses {@code kt}
     * when its shape allows.
     */
    static float[][][] transposeKeys(float[][] ks, int lo, int hi, Attention shape, float[][][] kt) {
        int kvh = shape.kvHeads(), hd = shape.headDim(), span = hi - lo, width = span + SLACK;
        if (kt == null || kt.length != kvh || kt[0].length != hd || kt[0][0].length < width) kt = new float[kvh][hd][width];
        for (int h = 0; h < kvh; h++)
            for (int d = 0; d < hd; d++) {
                float[] row = kt[h][d];
                int ko = h * hd + d;
                for (int s = 0; s < span; s++) row[s] = ks[lo + s][ko];
                Arrays.fill(row, span, span + SLACK, 0f);
            }
        return kt;
    }

    /**
     * {@code att[j] = scale · Σ_d q[qo + d] · kt[d][ko + j]} for {@code j < count} (and up to the
     * next multiple of VL, which the caller ignores); {@code kt}'s rows must reach that far. The
     * scores of VL positions are one vector, summed over the head dimension in order with no lane
     * sums, four blocks of positions at a time. Equal to {@link #scalarScores} on the untransposed keys.
     */
    static void transposedScores(float[] q, int qo, float[][] kt, int ko, int count, int hd, float scale, float[] att) {
        int len = F.length(), end = (count + len - 1) / len * len, j = 0;
        for (; j + 4 * len <= end; j += 4 * len) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d++) {
                float[] row = kt[d];
                FloatVector b = FloatVector.broadcast(F, q[qo + d]);
                int k = ko + j;
                a0 = FloatVector.fromArray(F, row, k).fma(b, a0);
                a1 = FloatVector.fromArray(F, row, k + len).fma(b, a1);
                a2 = FloatVector.fromArray(F, row, k + 2 * len).fma(b, a2);
                a3 = FloatVector.fromArray(F, row, k + 3 * len).fma(b, a3);
            }
            a0.mul(scale).intoArray(att, j);
            a1.mul(scale).intoArray(att, j + len);
            a2.mul(scale).intoArray(att, j + 2 * len);
            a3.mul(scale).intoArray(att, j + 3 * len);
        }
        for (; j < count; j += len) {
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) a0 = FloatVector.fromArray(F, kt[d], ko + j).fma(FloatVector.broadcast(F, q[qo + d]), a0);
            a0.mul(scale).intoArray(att, j);
        }
    }

    /**
     * The reference for {@link #transposedScores}, over the keys as stored: {@code att[j] = scale ·
     * Σ_d q[qo + d] · ks[first + j][ko + d]}, j < count, the products fused into the sum in order of d.
     */
    static void scalarScores(float[] q, int qo, float[][] ks, int first, int ko, int count, int hd, float scale, float[] att) {
        for (int j = 0; j < count; j++) {
            float acc = 0;
            for (int d = 0; d < hd; d++) acc = Math.fma(q[qo + d], ks[first + j][ko + d], acc);
            att[j] = acc * scale;
        }
    }

    /**
     * {@code out[oo + i] = Σ_s p[s] · v[s][vo + i]} for s in [first, last], i < n (the single-token
     * path of heads that are not whole vectors, p indexed by position). Each slice of the output is accumulated in a register over all
     * s (a store per s would chain every position through memory): vectors when n is a whole number
     * of them, equal to {@link #scalarWeightedSum}; else four scalar sums per pass over the rows,
     * each product rounded.
     */
    static void weightedSum(float[] p, int first, int last, float[][] v, int vo, float[] out, int oo, int n) {
        if (n % F.length() != 0) {
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                for (int s = first; s <= last; s++) {
                    float[] row = v[s];
                    float ps = p[s];
                    a0 += ps * row[vo + i];
                    a1 += ps * row[vo + i + 1];
                    a2 += ps * row[vo + i + 2];
                    a3 += ps * row[vo + i + 3];
                }
                out[oo + i] = a0;
                out[oo + i + 1] = a1;
                out[oo + i + 2] = a2;
                out[oo + i + 3] = a3;
            }
            for (; i < n; i++) {
                float acc = 0;
                for (int s = first; s <= last; s++) acc += p[s] * v[s][vo + i];
                out[oo + i] = acc;
            }
            return;
        }
        for (int i = 0; i < n; i += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int s = first; s <= last; s++)
                acc = FloatVector.fromArray(F, v[s], vo + i).fma(FloatVector.broadcast(F, p[s]), acc);
            acc.intoArray(out, oo + i);
        }
    }

    /**
     * {@code out[oo + i] = Σ_j p[j] · v[firstRow + j][vo + i]} for j < count, i < n, n a whole
     * number of vectors (the batched path, p indexed from 0). Four slices of the output are summed
     * side by side (four independent chains of FMAs per position, where {@link #weightedSum} runs
     * one chain at a time). Equal to {@link #scalarWeightedSum}.
     */
    static void weightedSumRows(float[] p, int count, float[][] v, int firstRow, int vo, float[] out, int oo, int n) {
        int len = F.length(), i = 0;
        for (; i + 4 * len <= n; i += 4 * len) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < count; j++) {
                float[] row = v[firstRow + j];
                FloatVector b = FloatVector.broadcast(F, p[j]);
                int k = vo + i;
                a0 = FloatVector.fromArray(F, row, k).fma(b, a0);
                a1 = FloatVector.fromArray(F, row, k + len).fma(b, a1);
                a2 = FloatVector.fromArray(F, row, k + 2 * len).fma(b, a2);
                a3 = FloatVector.fromArray(F, row, k + 3 * len).fma(b, a3);
            }
            a0.intoArray(out, oo + i);
            a1.intoArray(out, oo + i + len);
            a2.intoArray(out, oo + i + 2 * len);
            a3.intoArray(out, oo + i + 3 * len);
        }
        for (; i < n; i += len) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < count; j++) acc = FloatVector.fromArray(F, v[firstRow + j], vo + i).fma(FloatVector.broadcast(F, p[j]), acc);
            acc.intoArray(out, oo + i);
        }
    }

    /**
     * The reference for the weighted sums: {@code out[oo + i] = Σ_j p[po + j] · v[firstRow + j][vo + i]}
     * for j < count, i < n, the products fused into the sum in order of j.
     */
    static void scalarWeightedSum(float[] p, int po, int count, float[][] v, int firstRow, int vo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            float acc = 0;
            for (int j = 0; j < count; j++) acc = Math.fma(p[po + j], v[firstRow + j][vo + i], acc);
            out[oo + i] = acc;
        }
    }
}
