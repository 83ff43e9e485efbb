package ai.lort.decompose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Dense against plain double-precision loops, on sizes that cut micro-tiles, tiles and k slices
 * unevenly (1, 7, 17, 300 > a k slice, 520 > a tile's width, 600 > a tile's height) with offsets
 * and leading dimensions wider than the matrices.
 */
class DenseTest {
    static final float EPS = Math.ulp(1f);

    static float[] random(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        return x;
    }

    /** Reference gemm in double; returns, per C element, a bound on float rounding error. */
    static double[] referenceGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        double[] bound = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                int ci = cOff + i * ldc + j;
                double old = beta == 0 ? 0 : (double) beta * c[ci];
                c[ci] = (float) (alpha * s + old);
                bound[i * n + j] = 2 * (k + 2) * EPS * (Math.abs(alpha) * abs + Math.abs(old)) + Float.MIN_NORMAL;
            }
        return bound;
    }

    /** Asserts every element within its bound, reporting the worst one (one assertion: AssertJ per element is slow). */
    static void assertClose(float[] got, float[] want, double[] bound, int off, int ld, int m, int n) {
        double worst = 0;
        String where = "";
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                int at = off + i * ld + j;
                double excess = Math.abs((double) got[at] - want[at]) / bound[i * n + j];
                if (!(excess <= worst)) {
                    worst = excess;
                    where = "(" + i + ", " + j + "): " + got[at] + " vs " + want[at];
                }
            }
        assertThat(worst).as("error / bound, worst at %s", where).isLessThanOrEqualTo(1);
    }

    @Test
    void gemmMatchesTheReferenceForAllTransposesSizesAndBetas() {
        int[][] sizes = {{1, 1, 1}, {7, 17, 5}, {17, 100, 257}, {600, 33, 300}, {9, 520, 3}, {100, 7, 0}};
        long seed = 1;
        for (int[] s : sizes)
            for (int t = 0; t < 4; t++)
                for (float beta : new float[] {0, 1, 0.5f}) {
                    boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
                    int m = s[0], n = s[1], k = s[2];
                    int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2;
                    int aOff = 4, bOff = 1, cOff = 3;
                    float[] a = random(aOff + (transA ? k : m) * lda, seed++), b = random(bOff + (transB ? n : k) * ldb, seed++);
                    float[] c = random(cOff + m * ldc, seed++);
                    if (beta == 0) Arrays.fill(c, Float.NaN);
                    float[] want = c.clone();
                    double[] bound = referenceGemm(transA, transB, m, n, k, 1.5f, a, aOff, lda, b, bOff, ldb, beta, want, cOff, ldc);
                    Dense.gemm(transA, transB, m, n, k, 1.5f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, 2);
                    assertClose(c, want, bound, cOff, ldc, m, n);
                    // Padding between rows (and before the matrix) is left alone.
                    for (int i = 0; i < m; i++)
                        for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++)
                            assertThat(Float.floatToIntBits(c[cOff + i * ldc + j])).isEqualTo(Float.floatToIntBits(want[cOff + i * ldc + j]));
                    for (int i = 0; i < cOff; i++) assertThat(Float.floatToIntBits(c[i])).isEqualTo(Float.floatToIntBits(want[i]));
                }
    }

    @Test
    void transposedAEndingAtTheArraysEndIsPackedWhole() {
        // op(A)'s rows are A's columns, copied by whole vectors that read past a micro-panel's rows:
        // at the array's end the copy falls back to single values.
        for (int m : new int[] {Dense.MR, 2 * Dense.MR, 2 * Dense.MR + 5}) {
            int n = 40, k = 300;
            float[] a = random(k * m, m), b = random(k * n, m + 1), c = new float[m * n], want = new float[m * n];
            double[] bound = referenceGemm(true, false, m, n, k, 1, a, 0, m, b, 0, n, 0, want, 0, n);
            Dense.gemm(true, false, m, n, k, 1, a, 0, m, b, 0, n, 0, c, 0, n, 2);
            assertClose(c, want, bound, 0, n, m, n);
        }
    }

    @Test
    void alphaZeroOnlyScalesC() {
        float[] c = random(5 * 7, 11), want = c.clone();
        for (int i = 0; i < want.length; i++) want[i] *= 0.5f;
        Dense.gemm(false, false, 5, 7, 9, 0, new float[0], 0, 9, new float[0], 0, 7, 0.5f, c, 0, 7, 2);
        assertThat(c).isEqualTo(want);
    }

    @Test
    void aFailingThreadFailsTheProductWithoutHanging() {
        // B is one row short: whichever thread packs its last slice throws; the others must stop.
        int m = 700, n = 600, k = 300;
        float[] a = random(m * k, 12), b = random((k - 1) * n, 13), c = new float[m * n];
        for (int threads : new int[] {1, 2, 3})
            assertThatThrownBy(() -> Dense.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n, threads))
                    .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void syrkMatchesTheReferenceAndIsExactlySymmetric() {
        int[][] sizes = {{1, 1}, {7, 3}, {17, 300}, {600, 20}, {300, 5}};
        long seed = 100;
        for (int[] s : sizes)
            for (float beta : new float[] {0, 1, 0.5f}) {
                int n = s[0], k = s[1], lda = n + 3, ldc = n + 1, aOff = 2, cOff = 5;
                float[] a = random(aOff + k * lda, seed++);
                float[] c = new float[cOff + n * ldc];
                if (beta == 0) Arrays.fill(c, Float.NaN);
                else {
                    float[] x = random(n * n, seed++);
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j <= i; j++) c[cOff + i * ldc + j] = c[cOff + j * ldc + i] = x[i * n + j];
                }
                float[] want = c.clone();
                double[] bound = referenceGemm(true, false, n, n, k, 0.75f, a, aOff, lda, a, aOff, lda, beta, want, cOff, ldc);
                Dense.syrk(n, k, 0.75f, a, aOff, lda, beta, c, cOff, ldc, 2);
                assertClose(c, want, bound, cOff, ldc, n, n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < i; j++) assertThat(c[cOff + i * ldc + j]).isEqualTo(c[cOff + j * ldc + i]);
            }
    }

    /** {@code XᵀX/k + I/10}: symmetric, well-conditioned positive definite. */
    static float[] spd(int n, long seed) {
        int k = n + 10;
        float[] x = random(k * n, seed), h = new float[n * n];
        Dense.syrk(n, k, 1f / k, x, 0, n, 0, h, 0, n, 1);
        for (int i = 0; i < n; i++) h[i * n + i] += 0.1f;
        return h;
    }

    @Test
    void choleskyReconstructsTheMatrix() {
        for (int n : new int[] {1, 7, 130, 300}) {
            float[] h = spd(n, n);
            float[] l = h.clone();
            for (int i = 0; i < n; i++) Arrays.fill(l, i * n + i + 1, i * n + n, Float.NaN); // upper is not read
            Dense.cholesky(l, n, 2);
            double worst = 0;
            int nonzeroAbove = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    if (j > i && l[i * n + j] != 0) nonzeroAbove++;
                    double s = 0;
                    for (int p = 0; p <= Math.min(i, j); p++) s += (double) l[i * n + p] * l[j * n + p];
                    worst = Math.max(worst, Math.abs(s - h[i * n + j]));
                }
            assertThat(nonzeroAbove).isZero();
            assertThat(worst).as("n %d", n).isLessThan(1e-5 * Math.sqrt(n));
        }
    }

    @Test
    void choleskyRejectsANonPositiveDefiniteMatrixAtItsColumn() {
        int n = 200;
        float[] h = spd(n, 3);
        h[150 * n + 150] = -1;
        assertThatThrownBy(() -> Dense.cholesky(h, n, 2)).isInstanceOf(LortException.class)
                .hasMessageContaining("not positive definite at column 150");
        float[] nan = spd(5, 4);
        nan[2 * 5 + 1] = Float.NaN;
        assertThatThrownBy(() -> Dense.cholesky(nan, 5, 1)).isInstanceOf(LortException.class)
                .hasMessageContaining("not positive definite at column 2");
    }

    @Test
    void invertLowerGivesTheInverse() {
        for (int n : new int[] {1, 7, 257, 600}) {
            float[] l = spd(n, n + 1);
            Dense.cholesky(l, n, 2);
            float[] inv = l.clone();
            for (int i = 0; i < n; i++) Arrays.fill(inv, i * n + i + 1, i * n + n, Float.NaN); // upper is not read
            Dense.invertLower(inv, n, 2);
            double worst = 0;
            int nonzeroAbove = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    if (j > i && inv[i * n + j] != 0) nonzeroAbove++;
                    double s = 0;
                    for (int p = j; p <= i; p++) s += (double) l[i * n + p] * inv[p * n + j];
                    worst = Math.max(worst, Math.abs(s - (i == j ? 1 : 0)));
                }
            assertThat(nonzeroAbove).isZero();
            assertThat(worst).as("n %d", n).isLessThan(1e-4);
        }
    }

    @Test
    void resultsHaveTheSameBitsForAnyThreadCount() {
        int m = 700, n = 600, k = 300, order = 900; // several tiles and k slices everywhere
        float[] a = random(m * k, 7), b = random(n * k, 8);
        float[] gemm1 = new float[m * n], syrk1 = new float[n * n];
        Dense.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, gemm1, 0, n, 1);
        Dense.syrk(n, k / 6, 1, b, 0, n, 0, syrk1, 0, n, 1);
        float[] chol1 = spd(order, 9);
        Dense.cholesky(chol1, order, 1);
        float[] inv1 = chol1.clone();
        Dense.invertLower(inv1, order, 1);
        for (int threads : new int[] {2, 3, 8}) { // 8: more than the pool has, helpers start late
            float[] gemm = new float[m * n], syrk = new float[n * n];
            Dense.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, gemm, 0, n, threads);
            Dense.syrk(n, k / 6, 1, b, 0, n, 0, syrk, 0, n, threads);
            float[] chol = spd(order, 9);
            Dense.cholesky(chol, order, threads);
            float[] inv = chol.clone();
            Dense.invertLower(inv, order, threads);
            assertThat(gemm).isEqualTo(gemm1);
            assertThat(syrk).isEqualTo(syrk1);
            assertThat(chol).isEqualTo(chol1);
            assertThat(inv).isEqualTo(inv1);
        }
    }
}
