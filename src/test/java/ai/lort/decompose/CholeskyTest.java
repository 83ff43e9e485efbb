package ai.lort.decompose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.kernel.Gemm;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Cholesky's factor and inverse against their definitions, on sizes around its blocks. */
class CholeskyTest {
    static float[] random(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        return x;
    }

    /** {@code XᵀX/k + I/10}: symmetric, well-conditioned positive definite. */
    static float[] spd(int n, long seed) {
        int k = n + 10;
        float[] x = random(k * n, seed), h = new float[n * n];
        Gemm.syrk(n, k, 1f / k, x, 0, n, 0, h, 0, n, 1);
        for (int i = 0; i < n; i++) h[i * n + i] += 0.1f;
        return h;
    }

    @Test
    void choleskyReconstructsTheMatrix() {
        for (int n : new int[] {1, 7, 130, 300}) {
            float[] h = spd(n, n);
            float[] l = h.clone();
            for (int i = 0; i < n; i++) Arrays.fill(l, i * n + i + 1, i * n + n, Float.NaN); // upper is not read
            Cholesky.factor(l, n, 2);
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
        assertThatThrownBy(() -> Cholesky.factor(h, n, 2)).isInstanceOf(LortException.class)
                .hasMessageContaining("not positive definite at column 150");
        float[] nan = spd(5, 4);
        nan[2 * 5 + 1] = Float.NaN;
        assertThatThrownBy(() -> Cholesky.factor(nan, 5, 1)).isInstanceOf(LortException.class)
                .hasMessageContaining("not positive definite at column 2");
    }

    @Test
    void invertLowerGivesTheInverse() {
        for (int n : new int[] {1, 7, 257, 600}) {
            float[] l = spd(n, n + 1);
            Cholesky.factor(l, n, 2);
            float[] inv = l.clone();
            for (int i = 0; i < n; i++) Arrays.fill(inv, i * n + i + 1, i * n + n, Float.NaN); // upper is not read
            Cholesky.invertLower(inv, n, 2);
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
        int order = 900; // several blocks of both, and several tiles in their products
        float[] chol1 = spd(order, 9);
        Cholesky.factor(chol1, order, 1);
        float[] inv1 = chol1.clone();
        Cholesky.invertLower(inv1, order, 1);
        for (int threads : new int[] {2, 3, 8}) { // 8: more than the pool has, helpers start late
            float[] chol = spd(order, 9);
            Cholesky.factor(chol, order, threads);
            float[] inv = chol.clone();
            Cholesky.invertLower(inv, order, threads);
            assertThat(chol).isEqualTo(chol1);
            assertThat(inv).isEqualTo(inv1);
        }
    }
}
