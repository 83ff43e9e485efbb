package ai.lort.decompose;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AlsDecomposerTest {
    static float[] randomLowRankPlusNoise(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        float[] u = new float[m * r], v = new float[r * n], w = new float[m * n];
        for (int i = 0; i < u.length; i++) u[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int k = 0; k < r; k++) s += u[i * r + k] * v[k * n + j];
                w[i * n + j] = 0.3f * s + (float) rnd.nextGaussian();
            }
        return w;
    }

    @Test
    void lowRankTermLowersTheErrorAndReportedErrorMatchesReconstruction() {
        int m = 96, n = 80;
        float[] w = randomLowRankPlusNoise(m, n, 3, 7);
        AlsDecomposer.Result res = AlsDecomposer.decompose(w, m, n, 6, 6, 42);
        assertThat(res.rank()).isEqualTo(6);
        assertThat(res.relativeError()).isLessThan(res.ternaryOnlyError() * 0.9);
        double recon = AlsDecomposer.error(w, m, n, res.scales(), res.t(), res.b(), res.a(), res.rank())
                / Math.sqrt(AlsDecomposer.sumSquares(w));
        assertThat(res.relativeError()).isCloseTo(recon, org.assertj.core.data.Offset.offset(1e-6)); // float vs double row sums
    }

    @Test
    void halfScalesAreStoredRoundedAndTheirErrorIsReported() {
        int m = 40, n = 70;
        float[] w = randomLowRankPlusNoise(m, n, 2, 11);
        AlsDecomposer.Result res = AlsDecomposer.decompose(w, m, n, 3, 4, 5, true);
        for (float s : res.scales()) assertThat(s).isEqualTo(ai.lort.util.Half.roundToHalf(s));
        double recon = AlsDecomposer.error(w, m, n, res.scales(), res.t(), res.b(), res.a(), res.rank())
                / Math.sqrt(AlsDecomposer.sumSquares(w));
        assertThat(res.relativeError()).isEqualTo(recon);
    }

    @Test
    void isDeterministicForASeed() {
        float[] w = randomLowRankPlusNoise(64, 70, 2, 1);
        var a = AlsDecomposer.decompose(w, 64, 70, 4, 4, 9);
        var b = AlsDecomposer.decompose(w, 64, 70, 4, 4, 9);
        assertThat(a.t()).isEqualTo(b.t());
        assertThat(a.a()).isEqualTo(b.a());
        assertThat(a.relativeError()).isEqualTo(b.relativeError());
    }

    @Test
    void ternaryFitIsOptimalAmongThresholds() {
        Random rnd = new Random(3);
        int n = 500;
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float) rnd.nextGaussian();
        byte[] t = new byte[n];
        float s = TernaryFit.fitRow(r, 0, n, t, 0, null);
        double err = 0;
        for (int i = 0; i < n; i++) err += Math.pow(r[i] - s * t[i], 2);
        // Brute force over all supports "top-k by magnitude" with their least-squares scale.
        Float[] mags = new Float[n];
        for (int i = 0; i < n; i++) mags[i] = Math.abs(r[i]);
        java.util.Arrays.sort(mags, java.util.Collections.reverseOrder());
        double total = 0, best = Double.MAX_VALUE, sum = 0;
        for (float v : r) total += v * v;
        for (int k = 1; k <= n; k++) { sum += mags[k - 1]; best = Math.min(best, total - sum * sum / k); }
        assertThat(err).isLessThanOrEqualTo(best * 1.01);
    }

    @Test
    void svdRecoversAnExactLowRankMatrix() {
        int m = 50, n = 40, r = 3;
        Random rnd = new Random(5);
        float[] w = new float[m * n];
        float[] u = new float[m * r], v = new float[r * n];
        for (int i = 0; i < u.length; i++) u[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) for (int k = 0; k < r; k++) w[i * n + j] += u[i * r + k] * v[k * n + j];
        var f = new RandomizedSvd(m, n, r, 1).compute(w, 2);
        double err = 0, tot = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < r; k++) s += f.b()[i * r + k] * f.a()[k * n + j];
            err += Math.pow(w[i * n + j] - s, 2);
            tot += Math.pow(w[i * n + j], 2);
        }
        assertThat(Math.sqrt(err / tot)).isLessThan(1e-4);
    }
}
