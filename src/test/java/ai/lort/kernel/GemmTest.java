package ai.lort.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gemm against plain double-precision loops, on sizes that cut micro-tiles, tiles and k slices
 * unevenly (1, 7, 17, 300 > a k slice, 520 > a tile's width, 600 > a tile's height) with offsets
 * and leading dimensions wider than the matrices; and against the engine's packed product, which
 * runs the same micro-kernel.
 */
class GemmTest {
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
                    Gemm.gemm(transA, transB, m, n, k, 1.5f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, 2);
                    assertClose(c, want, bound, cOff, ldc, m, n);
                    // Padding between rows (and before the matrix) is left alone.
                    for (int i = 0; i < m; i++)
                        for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++)
                            assertThat(Float.floatToIntBits(c[cOff + i * ldc + j])).isEqualTo(Float.floatToIntBits(want[cOff + i * ldc + j]));
                    for (int i = 0; i < cOff; i++) assertThat(Float.floatToIntBits(c[i])).isEqualTo(Float.floatToIntBits(want[i]));
                }
    }

    @Test
    void transposedAEndingAtTheArraysEndIsPacked() {
        // op(A)'s rows are A's columns, scattered a vector of rows at a time: rows that fill no
        // whole vector (the block's last ones, here at the array's end) are copied one by one.
        for (int m : new int[] {MicroKernel.MR, 2 * MicroKernel.MR, 2 * MicroKernel.MR + 5, MicroKernel.VL + 1}) {
            int n = 40, k = 300;
            float[] a = random(k * m, m), b = random(k * n, m + 1), c = new float[m * n], want = new float[m * n];
            double[] bound = referenceGemm(true, false, m, n, k, 1, a, 0, m, b, 0, n, 0, want, 0, n);
            Gemm.gemm(true, false, m, n, k, 1, a, 0, m, b, 0, n, 0, c, 0, n, 2);
            assertClose(c, want, bound, 0, n, m, n);
        }
    }

    @Test
    void transposeFillsThePanelRowsForAnyBlockShape() {
        int vl = MicroKernel.VL, s = MicroKernel.PANEL_STRIDE;
        for (int rows : new int[] {1, vl - 1, vl, vl + 1, 48, 3 * vl + 5})
            for (int kc : new int[] {1, vl - 1, vl, 2 * vl + 3, MicroKernel.KC}) {
                int ld = rows + 3, off = 2;
                float[] src = random(off + (kc - 1) * ld + rows, rows * 1000L + kc); // the block ends at the array's end
                float[] dst = new float[rows * s];
                Arrays.fill(dst, Float.NaN);
                Transpose.toPanels(src, off, ld, rows, kc, dst);
                for (int r = 0; r < rows; r++)
                    for (int p = 0; p < s; p++) {
                        float want = p < kc ? src[off + p * ld + r] : Float.NaN;
                        if (Float.floatToRawIntBits(dst[r * s + p]) != Float.floatToRawIntBits(want))
                            throw new AssertionError(rows + " rows, kc " + kc + ": row " + r + " p " + p + " is " + dst[r * s + p] + ", not " + want);
                    }
            }
    }

    @Test
    void byteBGivesTheBitsOfTheSameBAsFloats() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int[] size : new int[][] {{3, 5, 7}, {17, 100, 257}, {40, 33, 600}}) {
            int m = size[0], n = size[1], k = size[2];
            for (boolean transB : new boolean[] {false, true}) {
                byte[] bytes = new byte[n * k];
                float[] floats = new float[n * k];
                for (int i = 0; i < bytes.length; i++) floats[i] = bytes[i] = (byte) (rnd.nextInt(3) - 1);
                float[] a = random(m * k, m + n), want = random(m * n, 5), got = want.clone();
                int ldb = transB ? k : n;
                Gemm.gemm(false, transB, m, n, k, 0.5f, a, 0, k, floats, 0, ldb, 1f, want, 0, n, 2);
                Gemm.gemm(false, transB, m, n, k, 0.5f, a, 0, k, bytes, 0, ldb, 1f, got, 0, n, 2);
                assertThat(got).as("%s transB %s", Arrays.toString(size), transB).containsExactly(want);
            }
        }
    }

    @Test
    void alphaZeroOnlyScalesC() {
        float[] c = random(5 * 7, 11), want = c.clone();
        for (int i = 0; i < want.length; i++) want[i] *= 0.5f;
        Gemm.gemm(false, false, 5, 7, 9, 0, new float[0], 0, 9, new float[0], 0, 7, 0.5f, c, 0, 7, 2);
        assertThat(c).isEqualTo(want);
    }

    @Test
    void aFailingThreadFailsTheProductWithoutHanging() {
        // B is one row short: whichever thread packs its last slice throws; the others must stop.
        int m = 700, n = 600, k = 300;
        float[] a = random(m * k, 12), b = random((k - 1) * n, 13), c = new float[m * n];
        for (int threads : new int[] {1, 2, 3})
            assertThatThrownBy(() -> Gemm.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n, threads))
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
                Gemm.syrk(n, k, 0.75f, a, aOff, lda, beta, c, cOff, ldc, 2);
                assertClose(c, want, bound, cOff, ldc, n, n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < i; j++) assertThat(c[cOff + i * ldc + j]).isEqualTo(c[cOff + j * ldc + i]);
            }
    }

    @Test
    void triangularProductsMatchTheReference() {
        long seed = 200;
        for (int n : new int[] {1, 13, 100, 300}) // 300: several row blocks, triangle tiles and k slices
            for (int k : new int[] {5, 300}) {
                // gemmLower: C's lower triangle (the rest is not specified).
                int lda = k + 1, ldb = n + 2, ldc = n + 3;
                float[] a = random(n * lda, seed++), b = random(k * ldb, seed++), c = random(n * ldc, seed++), want = c.clone();
                double[] bound = referenceGemm(false, false, n, n, k, -1, a, 0, lda, b, 0, ldb, 1, want, 0, ldc);
                Gemm.gemmLower(false, false, n, k, -1, a, 0, lda, b, 0, ldb, 1, c, 0, ldc, 2);
                for (int i = 0; i < n; i++)
                    for (int j = i + 1; j < n; j++) c[i * ldc + j] = want[i * ldc + j] = 0;
                assertClose(c, want, bound, 0, ldc, n, n);
            }
        for (int[] s : new int[][] {{1, 3}, {13, 40}, {300, 70}, {600, 17}}) {
            // gemmLowerA: op(A) m × m lower triangular, zeros above its diagonal.
            int m = s[0], n = s[1], lda = m + 1, ldb = n + 2, ldc = n;
            float[] a = random(m * lda, seed++), b = random(m * ldb, seed++), c = new float[m * ldc], want = new float[m * ldc];
            for (int i = 0; i < m; i++) Arrays.fill(a, i * lda + i + 1, i * lda + m, 0f);
            double[] bound = referenceGemm(false, false, m, n, m, 1, a, 0, lda, b, 0, ldb, 0, want, 0, ldc);
            Gemm.gemmLowerA(false, false, m, n, 1, a, 0, lda, b, 0, ldb, 0, c, 0, ldc, 2);
            assertClose(c, want, bound, 0, ldc, m, n);
        }
    }

    @Test
    void resultsHaveTheSameBitsForAnyThreadCount() {
        int m = 700, n = 600, k = 300; // several tiles and k slices everywhere
        float[] a = random(m * k, 7), b = random(n * k, 8);
        float[] gemm1 = new float[m * n], syrk1 = new float[n * n], lower1 = new float[n * n];
        Gemm.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, gemm1, 0, n, 1);
        Gemm.syrk(n, k / 6, 1, b, 0, n, 0, syrk1, 0, n, 1);
        Gemm.gemmLower(false, true, n, k, 1, b, 0, k, b, 0, k, 0, lower1, 0, n, 1);
        for (int threads : new int[] {2, 3, 8}) { // 8: more than the pool has, helpers start late
            float[] gemm = new float[m * n], syrk = new float[n * n], lower = new float[n * n];
            Gemm.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, gemm, 0, n, threads);
            Gemm.syrk(n, k / 6, 1, b, 0, n, 0, syrk, 0, n, threads);
            Gemm.gemmLower(false, true, n, k, 1, b, 0, k, b, 0, k, 0, lower, 0, n, threads);
            assertThat(gemm).isEqualTo(gemm1);
            assertThat(syrk).isEqualTo(syrk1);
            assertThat(lower).isEqualTo(lower1);
        }
    }

    /**
     * One micro-kernel: the engine's packed product of weights W and tokens X ({@link DenseGemm},
     * here on a {@link PanelMatrix} and on the F32 matrix it decodes) gives the bits of
     * {@code Gemm.gemm} of {@code W·Xᵀ}, which cuts k into the same slices and sums them alike.
     */
    @Test
    void theEnginesPackedProductHasGemmsBits() {
        for (int[] shape : new int[][] {{12, 256}, {25, 300}, {200, 513}}) {
            int rows = shape[0], cols = shape[1];
            for (int n : new int[] {DenseGemm.MIN_TOKENS, 40, 100}) {
                float[] w = random(rows * cols, rows + cols), x = random(n * cols, n), c = new float[rows * n];
                Gemm.gemm(false, true, rows, n, cols, 1, w, 0, cols, x, 0, cols, 0, c, 0, n, 2);
                float[][] xs = new float[n][], ys = new float[n][rows];
                for (int t = 0; t < n; t++) xs[t] = Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                Matrix[] engines = {PanelMatrix.of(w, rows, cols), new F32Matrix(MemorySegment.ofArray(w), rows, cols)};
                for (Matrix engine : engines) {
                    engine.matmul(xs, ys, n, 0, rows);
                    for (int t = 0; t < n; t++)
                        for (int r = 0; r < rows; r++)
                            if (Float.floatToRawIntBits(ys[t][r]) != Float.floatToRawIntBits(c[r * n + t]))
                                throw new AssertionError(engine.getClass().getSimpleName() + " " + rows + "x" + cols + ", " + n + " tokens, row " + r
                                        + " token " + t + ": " + ys[t][r] + " vs " + c[r * n + t]);
                }
            }
        }
    }
}
