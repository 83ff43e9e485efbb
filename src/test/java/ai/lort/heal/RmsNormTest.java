package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RmsNormTest {
    private static final float EPS = 1e-5f;

    /** {@code w ∘ x / sqrt(mean(x²) + eps)} per row, all in double. */
    private static double[] reference(double[] x, double[] w, int rows, int dim) {
        double[] out = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[r * dim + i] * x[r * dim + i];
            double inv = 1 / Math.sqrt(ss / dim + EPS);
            for (int i = 0; i < dim; i++) out[r * dim + i] = w[i] * x[r * dim + i] * inv;
        }
        return out;
    }

    /** Whole rows (5 × 7) and per-head rows (3 tokens × 4 heads of 4, 2 × 2 of 8), each on one and two threads. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(1);
        for (int[] shape : new int[][] {{5, 7}, {3 * 4, 4}, {2 * 2, 8}})
            for (int threads : new int[] {1, 2}) {
                int rows = shape[0], dim = shape[1];
                String what = rows + "×" + dim + " threads " + threads;
                float[] x = gaussian(rnd, rows * dim, 1.5), w = gaussian(rnd, dim, 0.3), dy = gaussian(rnd, rows * dim, 1);
                for (int i = 0; i < dim; i++) w[i] += 1;
                float[] out = new float[rows * dim], rstd = new float[rows];
                RmsNorm.forward(out, rstd, x, w, rows, dim, EPS, threads);
                double[] xd = widen(x), wd = widen(w);
                assertClose("forward " + what, out, reference(xd, wd, rows, dim), FORWARD_TOLERANCE);

                float[] dx0 = gaussian(rnd, rows * dim, 1), dw0 = gaussian(rnd, dim, 1);
                float[] dx = dx0.clone(), dw = dw0.clone();
                RmsNorm.backward(dx, dw, dy, x, w, rstd, rows, dim, threads);
                assertGradient("dx " + what, dx, dx0, numeric(xd, () -> dot(reference(xd, wd, rows, dim), dy)));
                assertGradient("dw " + what, dw, dw0, numeric(wd, () -> dot(reference(xd, wd, rows, dim), dy)));
            }
    }

    /** The engine's rmsNorm and headRmsNorm give the same bits. */
    @Test
    void forwardIsTheEnginesNorm() {
        Random rnd = new Random(2);
        int tokens = 9, hidden = 24, headDim = 8;
        float[] x = gaussian(rnd, tokens * hidden, 2), w = gaussian(rnd, hidden, 1), hw = gaussian(rnd, headDim, 1);
        float[] out = new float[x.length], rstd = new float[tokens * hidden / headDim];
        try (CpuBackend engine = new CpuBackend(1)) {
            Backend.Buffer in = engine.buffer(tokens, hidden), normed = engine.buffer(tokens, hidden);
            for (int t = 0; t < tokens; t++) engine.write(in, t, x, t * hidden);
            engine.rmsNorm(normed, in, engine.vector(w), EPS, tokens);
            RmsNorm.forward(out, rstd, x, w, tokens, hidden, EPS, 2);
            assertThat(out).isEqualTo(rows(engine, normed, tokens, hidden));

            engine.headRmsNorm(in, engine.vector(hw), headDim, EPS, tokens);
            RmsNorm.forward(out, rstd, x, hw, tokens * hidden / headDim, headDim, EPS, 2);
            assertThat(out).isEqualTo(rows(engine, in, tokens, hidden));
        }
    }

    static float[] rows(CpuBackend engine, Backend.Buffer b, int n, int width) {
        float[] out = new float[n * width];
        for (int t = 0; t < n; t++) engine.read(b, t, out, t * width);
        return out;
    }
}
