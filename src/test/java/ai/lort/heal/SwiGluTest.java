package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SwiGluTest {
    private static double[] reference(double[] g, double[] u) {
        double[] h = new double[g.length];
        for (int i = 0; i < g.length; i++) h[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        return h;
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(5);
        int n = 37;
        float[] g = gaussian(rnd, n, 3), u = gaussian(rnd, n, 1), dy = gaussian(rnd, n, 1), h = new float[n];
        SwiGlu.forward(h, g, u, n, 2);
        double[] gd = widen(g), ud = widen(u);
        assertClose("forward", h, reference(gd, ud), FORWARD_TOLERANCE);
        float[] dg0 = gaussian(rnd, n, 1), du0 = gaussian(rnd, n, 1), dg = dg0.clone(), du = du0.clone();
        SwiGlu.backward(dg, du, dy, g, u, n, 2);
        assertGradient("dg", dg, dg0, numeric(gd, () -> dot(reference(gd, ud), dy)));
        assertGradient("du", du, du0, numeric(ud, () -> dot(reference(gd, ud), dy)));
    }

    /** The engine's vectorized siluMul (its exp within 2 ulp of Math.exp). */
    @Test
    void forwardIsTheEnginesSiluMul() {
        Random rnd = new Random(6);
        int tokens = 7, width = 45;
        float[] g = gaussian(rnd, tokens * width, 3), u = gaussian(rnd, tokens * width, 1), h = new float[g.length];
        SwiGlu.forward(h, g, u, g.length, 2);
        try (CpuBackend engine = new CpuBackend(1)) {
            Backend.Buffer gb = engine.buffer(tokens, width), ub = engine.buffer(tokens, width);
            for (int t = 0; t < tokens; t++) {
                engine.write(gb, t, g, t * width);
                engine.write(ub, t, u, t * width);
            }
            engine.siluMul(gb, ub, tokens);
            float[] expected = RmsNormTest.rows(engine, gb, tokens, width);
            for (int i = 0; i < h.length; i++) assertThat(h[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f * (1 + Math.abs(expected[i]))));
        }
    }
}
