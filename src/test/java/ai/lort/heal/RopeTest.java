package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.model.ModelConfig;
import ai.lort.model.RopeTable;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    /** Pairs (i, i + half) of every head rotated by the table's angle of the row's position, in double. */
    private static double[] reference(double[] x, RopeTable rope, int tokens, int width, int headDim) {
        int half = headDim / 2;
        double[] out = new double[x.length];
        for (int t = 0; t < tokens; t++)
            for (int h = t * width; h < (t + 1) * width; h += headDim)
                for (int i = 0; i < half; i++) {
                    double c = rope.cos()[t * half + i], s = rope.sin()[t * half + i];
                    out[h + i] = x[h + i] * c - x[h + i + half] * s;
                    out[h + i + half] = x[h + i + half] * c + x[h + i] * s;
                }
        return out;
    }

    /** Llama 3's scaled table, heads of 4 and 8, 5 tokens; in place and not, one and two threads. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(3);
        var llama3 = new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 16);
        for (int headDim : new int[] {4, 8})
            for (int threads : new int[] {1, 2}) {
                int tokens = 5, width = 3 * headDim;
                RopeTable rope = RopeTable.of(llama3, headDim, tokens);
                float[] x = gaussian(rnd, tokens * width, 1), dy = gaussian(rnd, tokens * width, 1), out = new float[x.length];
                Rope.forward(out, x, rope.cos(), rope.sin(), tokens, width, headDim, threads);
                double[] xd = widen(x);
                String what = "headDim " + headDim + " threads " + threads;
                assertClose("forward " + what, out, reference(xd, rope, tokens, width, headDim), FORWARD_TOLERANCE);
                float[] inPlace = x.clone();
                Rope.forward(inPlace, inPlace, rope.cos(), rope.sin(), tokens, width, headDim, threads);
                assertThat(inPlace).isEqualTo(out);

                float[] dx0 = gaussian(rnd, x.length, 1), dx = dx0.clone();
                Rope.backward(dx, dy, rope.cos(), rope.sin(), tokens, width, headDim, threads);
                assertGradient("dx " + what, dx, dx0, numeric(xd, () -> dot(reference(xd, rope, tokens, width, headDim), dy)));
            }
    }

    @Test
    void forwardIsTheEnginesRope() {
        Random rnd = new Random(4);
        int tokens = 11, headDim = 8, width = 4 * headDim;
        RopeTable rope = RopeTable.of(ModelConfig.Rope.plain(10000), headDim, tokens);
        float[] x = gaussian(rnd, tokens * width, 1), out = new float[x.length];
        Rope.forward(out, x, rope.cos(), rope.sin(), tokens, width, headDim, 2);
        try (CpuBackend engine = new CpuBackend(1)) {
            Backend.Buffer b = engine.buffer(tokens, width);
            for (int t = 0; t < tokens; t++) engine.write(b, t, x, t * width);
            engine.rope(b, headDim, engine.vector(rope.cos()), engine.vector(rope.sin()), 0, tokens);
            assertThat(out).isEqualTo(RmsNormTest.rows(engine, b, tokens, width));
        }
    }
}
