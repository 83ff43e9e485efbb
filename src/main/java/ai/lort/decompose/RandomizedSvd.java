package ai.lort.decompose;

import ai.lort.kernel.Gemm;
import java.util.SplittableRandom;

/**
 * Rank-r truncated SVD of a dense m × n matrix by the randomized range finder of Halko, Martinsson
 * and Tropp (2011): sketch {@code Y = W·Ω} with l = r + oversampling columns, a few power iterations
 * {@code Y ← W·(Wᵀ·Y)} with re-orthonormalization, {@code Q = orth(Y)}, then the exact SVD of the
 * small {@code Qᵀ·W} through the eigen-decomposition of its l × l Gram matrix.
 *
 * <p>Warm start: in alternating least squares the matrix changes little between iterations, so the
 * previous right singular vectors make a far better sketch than random ones; {@link #warmStart}
 * hands them in and one power iteration is then enough.
 */
public final class RandomizedSvd {
    /** Extra sketch columns beyond the rank (Halko et al. recommend 5-10). */
    public static final int OVERSAMPLING = 8;

    private final int m, n, rank, l, threads;
    private final float[] omegaT; // l × n sketch directions (rows), reused as the warm start
    private boolean warm;

    public RandomizedSvd(int m, int n, int rank, long seed) {
        this(m, n, rank, seed, 1);
    }

    /** With the products on up to {@code threads} threads (the result does not depend on the count). */
    public RandomizedSvd(int m, int n, int rank, long seed, int threads) {
        this.threads = threads;
        this.m = m;
        this.n = n;
        this.rank = rank;
        this.l = Math.min(Math.min(m, n), rank + OVERSAMPLING);
        this.omegaT = new float[l * n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < omegaT.length; i++) omegaT[i] = (float) gaussian(rnd);
    }

    /**
     * {@code Yt = (W·Xtᵀ)ᵀ} (l × m) for Xt of l × n, through y = W·Xtᵀ (m × l): the product runs
     * with W's rows as its rows, which the threads share out (l rows would leave one idle).
     */
    private void timesW(float[] w, float[] xt, float[] y, float[] yt) {
        Gemm.gemm(false, true, m, l, n, 1f, w, 0, n, xt, 0, n, 0f, y, 0, l, threads);
        transpose(y, m, l, yt);
    }

    /** {@code Zt = (Wᵀ·Ytᵀ)ᵀ} (l × n) for Yt of l × m, through z = Wᵀ·Ytᵀ (n × l). */
    private void timesWTransposed(float[] w, float[] yt, float[] z, float[] zt) {
        Gemm.gemm(true, true, n, l, m, 1f, w, 0, n, yt, 0, m, 0f, z, 0, l, threads);
        transpose(z, n, l, zt);
    }

    private static void transpose(float[] a, int rows, int cols, float[] out) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box-Muller; SplittableRandom has no nextGaussian with a stable algorithm across JDKs.
        double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Result: {@code W ≈ B·A} with B (m × r) and A (r × n), singular values split evenly. */
    public record Factors(int rank, float[] b, float[] a, double[] singularValues) {}

    /**
     * Truncated SVD of {@code w}. From a random start, {@code powerIterations} passes of
     * {@code W·Wᵀ} sharpen the spectrum; from a warm start (a later call) the previous basis is
     * already close, and the caller's repeated calls act as continued subspace iteration.
     */
    public Factors compute(float[] w, int powerIterations) {
        if (rank == 0 || l == 0) return new Factors(0, new float[0], new float[0], new double[0]);
        float[] yt = new float[l * m], y = new float[m * l];
        float[] zt = new float[l * n], z = new float[n * l];
        timesW(w, omegaT, y, yt);
        int passes = warm ? 0 : powerIterations;
        for (int q = 0; q < passes; q++) {
            Linalg.orthonormalizeRows(yt, l, m);
            timesWTransposed(w, yt, z, zt);
            Linalg.orthonormalizeRows(zt, l, n);
            timesW(w, zt, y, yt);
        }
        Linalg.orthonormalizeRows(yt, l, m); // Qt: l × m
        timesWTransposed(w, yt, z, zt); // Bt = Qᵀ·W: l × n
        // Gram matrix G = Bt·Btᵀ (l × l) = U Σ² Uᵀ.
        double[][] g = new double[l][l];
        for (int i = 0; i < l; i++)
            for (int j = i; j < l; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += (double) zt[i * n + k] * zt[j * n + k];
                g[i][j] = g[j][i] = s;
            }
        double[][] u = new double[l][l];
        double[] lambda = Linalg.symmetricEigen(g, u);
        int r = Math.min(rank, l);
        double[] sigma = new double[r];
        float[] b = new float[m * r];
        float[] a = new float[r * n];
        double[] vrow = new double[n];
        for (int j = 0; j < r; j++) {
            sigma[j] = Math.sqrt(Math.max(lambda[j], 0));
            if (sigma[j] <= 1e-12 * Math.sqrt(Math.max(lambda[0], 1e-300))) { sigma[j] = 0; continue; }
            // Right singular vector v_j = Btᵀ u_j / σ_j; left one = Q u_j.
            java.util.Arrays.fill(vrow, 0);
            for (int k = 0; k < l; k++) {
                double c = u[k][j];
                for (int c2 = 0; c2 < n; c2++) vrow[c2] += c * zt[k * n + c2];
            }
            double root = Math.sqrt(sigma[j]);
            for (int c2 = 0; c2 < n; c2++) a[j * n + c2] = (float) (vrow[c2] / sigma[j] * root);
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int k = 0; k < l; k++) s += yt[k * m + i] * u[k][j];
                b[i * r + j] = (float) (s * root);
            }
            // Remember the direction for the next call's sketch.
            for (int c2 = 0; c2 < n; c2++) omegaT[j * n + c2] = (float) (vrow[c2] / sigma[j]);
        }
        warm = true;
        return new Factors(r, b, a, sigma);
    }
}
