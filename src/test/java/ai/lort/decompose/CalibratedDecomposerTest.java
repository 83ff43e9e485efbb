package ai.lort.decompose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.kernel.Gemm;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibratedDecomposerTest {
    /** N × n inputs with very unequal, correlated columns (as real activations are). */
    static float[] inputs(int count, int n, long seed) {
        Random rnd = new Random(seed);
        float[] mix = new float[n * n], x = new float[count * n];
        for (int i = 0; i < mix.length; i++) mix[i] = (float) rnd.nextGaussian() * 0.3f;
        for (int i = 0; i < n; i++) mix[i * n + i] += 1 + (i % 7 == 0 ? 8 : 0); // a few outlier channels
        float[] z = new float[n];
        for (int t = 0; t < count; t++) {
            for (int j = 0; j < n; j++) z[j] = (float) rnd.nextGaussian();
            for (int i = 0; i < n; i++) {
                float s = 0;
                for (int j = 0; j < n; j++) s += z[j] * mix[j * n + i];
                x[t * n + i] = s;
            }
        }
        return x;
    }

    static float[] gram(float[] x, float[] y, int count, int n) {
        double[] g = new double[n * n];
        for (int t = 0; t < count; t++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) g[i * n + j] += (double) x[t * n + i] * y[t * n + j] / count;
        float[] out = new float[n * n];
        for (int i = 0; i < out.length; i++) out[i] = (float) g[i];
        return out;
    }

    /** W·C, m × n. */
    static float[] times(float[] w, int m, int n, float[] c) {
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n; j++) out[i * n + j] += w[i * n + k] * c[k * n + j];
        return out;
    }

    /** ‖(W − Ŵ)Xᵀ‖ / ‖W Xᵀ‖ computed directly from the inputs. */
    static double directOutputError(float[] w, float[] what, float[] x, int m, int n, int count) {
        double num = 0, den = 0;
        for (int t = 0; t < count; t++)
            for (int i = 0; i < m; i++) {
                double y = 0, yh = 0;
                for (int j = 0; j < n; j++) { y += w[i * n + j] * x[t * n + j]; yh += what[i * n + j] * x[t * n + j]; }
                num += (y - yh) * (y - yh);
                den += y * y;
            }
        return Math.sqrt(num / den);
    }

    static float[] reconstruct(CalibratedDecomposer.Result r) {
        int m = r.rows(), n = r.cols();
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float v = r.scales()[i] * r.t()[i * n + j];
                for (int k = 0; k < r.rank(); k++) v += r.b()[i * r.rank() + k] * r.a()[k * n + j];
                out[i * n + j] = v;
            }
        return out;
    }

    static CalibratedDecomposer.Options options(int rank, int threads) {
        return new CalibratedDecomposer.Options(0.5, rank, 3, 4, true, threads);
    }

    @Test
    void outputErrorIsBelowTheWeightOnlyMethodsAndMatchesTheInputs() {
        int m = 48, n = 64, count = 400;
        float[] w = AlsDecomposerTest.randomLowRankPlusNoise(m, n, 2, 3);
        float[] x = inputs(count, n, 5);
        float[] h = gram(x, x, count, n);
        for (int rank : new int[] {0, 4}) {
            var cal = CalibratedDecomposer.decompose(w, m, n, h.clone(), null, options(rank, 1), 7);
            var als = AlsDecomposer.decompose(w, m, n, rank, 4, 7);
            double alsOut = CalibratedDecomposer.outputError(w, m, n, h, als.scales(), als.t(), als.b(), als.a(), als.rank(), 1);
            assertThat(cal.outputError()).as("rank " + rank).isLessThan(alsOut * 0.8);
            assertThat(cal.outputError()).isCloseTo(directOutputError(w, reconstruct(cal), x, m, n, count), within(1e-4));
            assertThat(cal.rank()).isLessThanOrEqualTo(rank);
        }
    }

    @Test
    void targetCorrectionUndoesAnInputError() {
        // The compressed model's inputs are a distorted copy of the original's: fitting W' = W + β(WCH⁻¹ − W)
        // must bring the compressed layer's outputs closer to the original layer's on the original inputs.
        int m = 32, n = 48, count = 500;
        float[] w = AlsDecomposerTest.randomLowRankPlusNoise(m, n, 2, 11);
        float[] xfp = inputs(count, n, 12), x = xfp.clone();
        Random rnd = new Random(13);
        for (int i = 0; i < x.length; i++) x[i] += 0.3f * (float) rnd.nextGaussian() * Math.abs(x[i]);
        float[] h = gram(x, x, count, n), c = gram(xfp, x, count, n);
        var plain = CalibratedDecomposer.decompose(w, m, n, h.clone(), null, options(0, 1), 1);
        var corrected = CalibratedDecomposer.decompose(w, m, n, h.clone(), times(w, m, n, c), options(0, 1), 1);
        assertThat(endToEnd(w, reconstruct(corrected), xfp, x, m, n, count)).isLessThan(endToEnd(w, reconstruct(plain), xfp, x, m, n, count));
    }

    /** ‖W·X_fp − Ŵ·X‖ / ‖W·X_fp‖: the original layer on original inputs against the compressed one on its inputs. */
    static double endToEnd(float[] w, float[] what, float[] xfp, float[] x, int m, int n, int count) {
        double num = 0, den = 0;
        for (int t = 0; t < count; t++)
            for (int i = 0; i < m; i++) {
                double y = 0, yh = 0;
                for (int j = 0; j < n; j++) { y += w[i * n + j] * xfp[t * n + j]; yh += what[i * n + j] * x[t * n + j]; }
                num += (y - yh) * (y - yh);
                den += y * y;
            }
        return Math.sqrt(num / den);
    }

    /**
     * Coordinate descent skips ahead with {@code firstChange}, DL columns at a time: it must pick
     * the column where the scalar test ({@code bestLevel}, which then moves the code) first moves
     * one, ties and all; the gradients are drawn so that about a tenth of the codes move, some
     * right at the threshold.
     */
    @Test
    void vectorSkipFindsTheColumnTheScalarTestMovesFirst() {
        Random rnd = new Random(17);
        int n = 4 * CalibratedDecomposer.DL + 3;
        byte[] t = new byte[n];
        float[] gr = new float[n], gt = new float[n], diag = new float[n];
        for (int trial = 0; trial < 20_000; trial++) {
            double si = trial % 50 == 0 ? 0 : 0.01 + rnd.nextDouble() * 0.1;
            for (int j = 0; j < n; j++) {
                t[j] = (byte) (rnd.nextInt(3) - 1);
                diag[j] = trial % 7 == 0 ? 0 : (float) (0.5 + rnd.nextDouble());
                gt[j] = (float) rnd.nextGaussian();
                // A move pays when the gradient term outweighs the curvature: mostly not.
                gr[j] = (float) (t[j] * si * diag[j] + gt[j] * si + rnd.nextGaussian() * (rnd.nextInt(10) == 0 ? 3 : 0.2) * si * diag[j]);
                if (rnd.nextInt(20) == 0) gr[j] = (float) (si * (gt[j] + 0.5 * diag[j])); // at the threshold
            }
            int off = rnd.nextInt(n - CalibratedDecomposer.DL + 1);
            int expected = CalibratedDecomposer.DL;
            for (int k = 0; k < CalibratedDecomposer.DL && expected == CalibratedDecomposer.DL; k++)
                if (CalibratedDecomposer.bestLevel(t[off + k], gr[off + k], gt[off + k], diag[off + k], si) != t[off + k]) expected = k;
            assertThat(CalibratedDecomposer.firstChange(t, gr, gt, diag, 0, off, si)).as("trial %d", trial).isEqualTo(expected);
        }
    }

    @Test
    void isDeterministicAndIndependentOfTheThreadCount() {
        int m = 40, n = 56, count = 200;
        float[] w = AlsDecomposerTest.randomLowRankPlusNoise(m, n, 2, 21);
        float[] x = inputs(count, n, 22);
        float[] h = gram(x, x, count, n), wc = times(w, m, n, h);
        var a = CalibratedDecomposer.decompose(w, m, n, h.clone(), wc, options(3, 1), 5);
        var b = CalibratedDecomposer.decompose(w, m, n, h.clone(), wc, options(3, 2), 5);
        assertThat(a.t()).isEqualTo(b.t());
        assertThat(a.scales()).isEqualTo(b.scales());
        assertThat(a.a()).isEqualTo(b.a());
        assertThat(a.b()).isEqualTo(b.b());
        for (float s : a.scales()) assertThat(Float.float16ToFloat(Float.floatToFloat16(s))).isEqualTo(s); // row-f16 exact
    }

    @Test
    void factorsOfTheDampedHessianAgreeWithTheirDefinitions() {
        int n = 40, count = 80;
        float[] h = gram(inputs(count, n, 31), inputs(count, n, 31), count, n);
        float lambda = CalibratedDecomposer.damp(h, n);
        assertThat(lambda).isPositive();
        var f = CalibratedDecomposer.Factors.of(h, n, 2);
        double scale = 0;
        for (float v : h) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double rrt = 0, ru = 0;
                for (int k = 0; k < n; k++) { rrt += (double) f.r()[i * n + k] * f.r()[j * n + k]; ru += (double) f.r()[i * n + k] * f.u()[k * n + j]; }
                assertThat(rrt).as("R·Rᵀ = H").isCloseTo(h[i * n + j], within(1e-5 * scale));
                assertThat(ru).as("R·U = I").isCloseTo(i == j ? 1 : 0, within(1e-3));
                if (j < i) {
                    assertThat(f.r()[i * n + j]).isZero();
                    assertThat(f.u()[i * n + j]).isZero();
                }
            }
    }

    @Test
    void triangularProductsMatchFullProducts() {
        // Widths around the column block (256), so that partial blocks and the diagonal blocks are exercised.
        Random rnd = new Random(3);
        for (int n : new int[] {7, 255, 256, 300, 600}) {
            int m = 37;
            float[] x = new float[m * n], u = new float[n * n];
            for (int p = 0; p < x.length; p++) x[p] = (float) rnd.nextGaussian();
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++) u[i * n + j] = (float) rnd.nextGaussian();
            for (boolean transposed : new boolean[] {false, true}) {
                float[] fast = new float[m * n], full = new float[m * n];
                java.util.Arrays.fill(fast, Float.NaN); // every element must be written
                CalibratedDecomposer.timesUpper(x, m, n, u, transposed, fast, 2);
                Gemm.gemm(false, transposed, m, n, n, 1f, x, 0, n, u, 0, n, 0f, full, 0, n, 1);
                for (int p = 0; p < full.length; p++)
                    assertThat(fast[p]).as("n=%d transposed=%s element %d", n, transposed, p).isCloseTo(full[p], within(1e-3f * (1 + Math.abs(full[p]))));
            }
        }
    }
}
