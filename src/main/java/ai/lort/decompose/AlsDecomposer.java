package ai.lort.decompose;

import ai.lort.pack.Hadamard;
import ai.lort.util.Half;

/**
 * Weight-only decomposition {@code W ≈ diag(s)·T + B·A} by alternating least squares:
 * <ol>
 *   <li>ternary step: the best per-row {@code s, T} for the residual {@code W − B·A} ({@link TernaryFit});
 *   <li>low-rank step: {@code B·A} = rank-r truncated SVD of {@code W − diag(s)·T}
 *       ({@link RandomizedSvd}: one power iteration from a random start, then warm-started from the
 *       previous basis, so successive ALS iterations continue one subspace iteration);
 *   <li>repeat until {@code iterations} or until the relative error improves by less than 1e-4.
 * </ol>
 * The first state is the ternary fit alone and the best state is kept, so the result is never
 * worse than that. The factors are finally rounded to FP16 (as stored) and the ternary part is
 * refitted against the rounded low-rank term, so the reported error is the stored layer's error.
 * Errors come for free from the ternary step, which sees the whole residual row by row.
 */
public final class AlsDecomposer {
    public static final double MIN_IMPROVEMENT = 1e-4;

    private AlsDecomposer() {}

    /** A decomposed layer: {@code t} holds -1/0/+1 row-major, a and b are FP16-exact floats. */
    public record Result(int rows, int cols, int rank, float[] scales, byte[] t, float[] a, float[] b,
                         double relativeError, double ternaryOnlyError, int iterations) {}

    public static Result decompose(float[] w, int m, int n, int rank, int iterations, long seed) {
        return decompose(w, m, n, rank, iterations, seed, false);
    }

    /**
     * Fits the layer {@code name} (m × n row-major weights, modified: they are rotated in place
     * when the encoding rotates) as {@code encoding} says.
     */
    public static LayerFit fit(String name, float[] w, int m, int n, LayerEncoding encoding, int iterations) {
        long t0 = System.nanoTime();
        long seed = encoding.layerSeed(name);
        Hadamard rot = encoding.rotationFor(n, seed);
        if (rot != null) rot.rotateRows(w, m, 1); // fit W·Rᵀ; R is orthogonal, so the weight error is the same in either basis
        Result r = decompose(w, m, n, encoding.rankFor(name, m, n), iterations, seed, encoding.halfScales());
        return new LayerFit(encoding.pack(name, m, n, r.rank(), r.scales(), r.t(), r.a(), r.b(), rot), r.relativeError(), r.ternaryOnlyError(),
                Double.NaN, r.iterations(), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * As above; with {@code halfScales} the scales are rounded to FP16, as a {@code row-f16} layer
     * stores them, and the error reported is recomputed for the rounded scales.
     */
    public static Result decompose(float[] w, int m, int n, int rank, int iterations, long seed, boolean halfScales) {
        Result r = decompose32(w, m, n, rank, iterations, seed);
        if (!halfScales) return r;
        float[] scales = Half.roundToHalf(r.scales());
        double denom = Math.sqrt(sumSquares(w));
        double err = error(w, m, n, scales, r.t(), r.b(), r.a(), r.rank()) / (denom > 0 ? denom : 1);
        return new Result(m, n, r.rank(), scales, r.t(), r.a(), r.b(), err, r.ternaryOnlyError(), r.iterations());
    }

    private static Result decompose32(float[] w, int m, int n, int rank, int iterations, long seed) {
        double normW = Math.sqrt(sumSquares(w));
        double denom = normW > 0 ? normW : 1;
        float[] residual = w.clone(); // W − B·A, the input of the ternary step
        float[] scales = new float[m];
        byte[] t = new byte[m * n];
        double ternaryOnly = Math.sqrt(fitTernary(residual, m, n, scales, t, false)) / denom;
        if (rank == 0 || iterations == 0) return new Result(m, n, 0, scales, t, new float[0], new float[0], ternaryOnly, ternaryOnly, 0);

        RandomizedSvd svd = new RandomizedSvd(m, n, rank, seed);
        float[] bestScales = scales.clone(), bestA = new float[0], bestB = new float[0];
        byte[] bestT = t.clone();
        double best = ternaryOnly;
        int bestRank = 0, done = 0;
        for (int it = 0; it < iterations; it++) {
            done = it + 1;
            // Low-rank step on E = W − diag(s)·T (built in the residual buffer).
            for (int i = 0; i < m; i++) {
                float s = scales[i];
                for (int j = 0, o = i * n; j < n; j++, o++) residual[o] = w[o] - s * t[o];
            }
            RandomizedSvd.Factors f = svd.compute(residual, 1);
            // Ternary step on W − B·A.
            subtractLowRank(w, m, n, f.b(), f.a(), f.rank(), residual);
            double err = Math.sqrt(fitTernary(residual, m, n, scales, t, true)) / denom;
            double gain = best - err;
            if (err < best) {
                best = err;
                System.arraycopy(scales, 0, bestScales, 0, m);
                System.arraycopy(t, 0, bestT, 0, t.length);
                bestA = f.a();
                bestB = f.b();
                bestRank = f.rank();
            }
            if (gain < MIN_IMPROVEMENT) break;
        }
        if (bestRank == 0) return new Result(m, n, 0, bestScales, bestT, new float[0], new float[0], ternaryOnly, ternaryOnly, done);
        // Round the factors as stored, then refit the ternary part (warm) to what the file will hold.
        float[] a = Half.roundToHalf(bestA), b = Half.roundToHalf(bestB);
        subtractLowRank(w, m, n, b, a, bestRank, residual);
        double stored = Math.sqrt(fitTernary(residual, m, n, bestScales, bestT, true)) / denom;
        if (stored > ternaryOnly) { // only FP16 rounding could cause this; fall back to the ternary fit
            System.arraycopy(w, 0, residual, 0, w.length);
            fitTernary(residual, m, n, bestScales, bestT, false);
            return new Result(m, n, 0, bestScales, bestT, new float[0], new float[0], ternaryOnly, ternaryOnly, done);
        }
        return new Result(m, n, bestRank, bestScales, bestT, a, b, stored, ternaryOnly, done);
    }

    /** Fits every row of {@code r}; returns the total squared error {@code ‖r − diag(s)·T‖²}. */
    static double fitTernary(float[] r, int m, int n, float[] scales, byte[] t, boolean warm) {
        double[] err = new double[1];
        for (int i = 0; i < m; i++) scales[i] = TernaryFit.fitRow(r, i * n, n, t, warm ? scales[i] : 0f, err);
        return err[0];
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

    /** ‖W − diag(s)·T − B·A‖_F, accumulated in double (a reference for tests). */
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

}
