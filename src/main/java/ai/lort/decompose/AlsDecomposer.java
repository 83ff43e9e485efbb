package ai.lort.decompose;

import ai.lort.util.Half;

/**
 * Weight-only decomposition {@code W ≈ diag(s)·T + B·A} by alternating least squares:
 * <ol>
 *   <li>ternary step: the best per-row {@code s, T} for the residual {@code W − B·A} ({@link TernaryFit});
 *   <li>low-rank step: {@code B·A} = rank-r truncated SVD of {@code W − diag(s)·T}
 *       ({@link RandomizedSvd}, warm-started from the previous basis);
 *   <li>repeat until {@code iterations} or until the relative error improves by less than 1e-4.
 * </ol>
 * The best state seen is kept, and the first state is the ternary fit alone, so the result is
 * never worse than that. The factors are finally rounded to FP16 (as stored) and the ternary part
 * refitted against the rounded low-rank term, so the reported error is the stored layer's error.
 */
public final class AlsDecomposer {
    public static final double MIN_IMPROVEMENT = 1e-4;

    private AlsDecomposer() {}

    /** A decomposed layer: {@code t} holds -1/0/+1 row-major, a and b are FP16-exact floats. */
    public record Result(int rows, int cols, int rank, float[] scales, byte[] t, float[] a, float[] b,
                         double relativeError, double ternaryOnlyError, int iterations) {}

    public static Result decompose(float[] w, int m, int n, int rank, int iterations, long seed) {
        double normW = Math.sqrt(sumSquares(w));
        float[] residual = w.clone(); // W − B·A, input of the ternary step
        float[] scales = new float[m];
        byte[] t = new byte[m * n];
        fitTernary(residual, m, n, scales, t, false);
        double ternaryOnly = error(w, m, n, scales, t, null, null, 0) / denom(normW);
        if (rank == 0 || iterations == 0) return new Result(m, n, 0, scales, t, new float[0], new float[0], ternaryOnly, ternaryOnly, 0);

        RandomizedSvd svd = new RandomizedSvd(m, n, rank, seed);
        float[] lowRankInput = new float[m * n];
        float[] bestScales = scales.clone(), bestA = new float[0], bestB = new float[0];
        byte[] bestT = t.clone();
        double best = ternaryOnly;
        int bestRank = 0, done = 0;
        for (int it = 0; it < iterations; it++) {
            done = it + 1;
            // Low-rank step on E = W − diag(s)·T.
            for (int i = 0; i < m; i++) {
                float s = scales[i];
                for (int j = 0, o = i * n; j < n; j++, o++) lowRankInput[o] = w[o] - s * t[o];
            }
            RandomizedSvd.Factors f = svd.compute(lowRankInput, it == 0 ? 2 : 1);
            // Ternary step on W − B·A.
            subtractLowRank(w, m, n, f.b(), f.a(), f.rank(), residual);
            fitTernary(residual, m, n, scales, t, true);
            double err = error(w, m, n, scales, t, f.b(), f.a(), f.rank()) / denom(normW);
            boolean improved = err < best;
            double gain = best - err;
            if (improved) {
                best = err;
                bestScales = scales.clone();
                bestT = t.clone();
                bestA = f.a();
                bestB = f.b();
                bestRank = f.rank();
            }
            if (!improved || gain < MIN_IMPROVEMENT) break;
        }
        // Round the factors as stored, then refit the ternary part to what the file will hold.
        float[] a = roundToHalf(bestA), b = roundToHalf(bestB);
        scales = bestScales;
        t = bestT;
        if (bestRank > 0) {
            subtractLowRank(w, m, n, b, a, bestRank, residual);
            float[] s2 = scales.clone();
            byte[] t2 = t.clone();
            fitTernary(residual, m, n, s2, t2, true);
            double e1 = error(w, m, n, scales, t, b, a, bestRank) / denom(normW);
            double e2 = error(w, m, n, s2, t2, b, a, bestRank) / denom(normW);
            if (e2 < e1) { scales = s2; t = t2; }
            best = Math.min(e1, e2);
            if (best > ternaryOnly) { // cannot happen in exact arithmetic; guard against FP16 rounding
                fitTernary(w.clone(), m, n, scales = new float[m], t = new byte[m * n], false);
                return new Result(m, n, 0, scales, t, new float[0], new float[0], ternaryOnly, ternaryOnly, done);
            }
        }
        return new Result(m, n, bestRank, scales, t, a, b, best, ternaryOnly, done);
    }

    private static double denom(double normW) { return normW > 0 ? normW : 1; }

    static void fitTernary(float[] r, int m, int n, float[] scales, byte[] t, boolean warm) {
        for (int i = 0; i < m; i++) scales[i] = TernaryFit.fitRow(r, i * n, n, t, warm ? scales[i] : 0f);
    }

    /** {@code out = W − B·A}. */
    static void subtractLowRank(float[] w, int m, int n, float[] b, float[] a, int rank, float[] out) {
        System.arraycopy(w, 0, out, 0, m * n);
        for (int i = 0; i < m; i++)
            for (int k = 0; k < rank; k++) {
                float c = b[i * rank + k];
                if (c != 0f) Linalg.axpy(-c, a, k * n, out, i * n, n);
            }
    }

    /** ‖W − diag(s)·T − B·A‖_F, accumulated in double. */
    public static double error(float[] w, int m, int n, float[] scales, byte[] t, float[] b, float[] a, int rank) {
        double total = 0;
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            float s = scales[i];
            for (int j = 0, o = i * n; j < n; j++, o++) row[j] = w[o] - s * t[o];
            for (int k = 0; k < rank; k++) {
                float c = b[i * rank + k];
                if (c != 0f) Linalg.axpy(-c, a, k * n, row, 0, n);
            }
            for (int j = 0; j < n; j++) total += (double) row[j] * row[j];
        }
        return Math.sqrt(total);
    }

    static double sumSquares(float[] w) {
        double s = 0;
        for (float v : w) s += (double) v * v;
        return s;
    }

    static float[] roundToHalf(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = Half.f16ToFloat(Half.floatToF16(x[i]));
        return out;
    }
}
