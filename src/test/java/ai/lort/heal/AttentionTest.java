package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /** Causal GQA with a window, straight from the definition, in double. */
    private static double[] reference(double[] q, double[] k, double[] v, int tokens, int heads, int kvHeads, int hd, int window) {
        double[] out = new double[tokens * heads * hd];
        double scale = 1 / Math.sqrt(hd);
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads);
            for (int t = 0; t < tokens; t++) {
                int first = window > 0 ? Math.max(0, t - window + 1) : 0;
                double[] w = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int s = first; s <= t; s++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += q[(t * heads + h) * hd + d] * k[(s * kvHeads + g) * hd + d];
                    w[s] = dot * scale;
                    max = Math.max(max, w[s]);
                }
                for (int s = first; s <= t; s++) sum += w[s] = Math.exp(w[s] - max);
                for (int s = first; s <= t; s++)
                    for (int d = 0; d < hd; d++) out[(t * heads + h) * hd + d] += w[s] / sum * v[(s * kvHeads + g) * hd + d];
            }
        }
        return out;
    }

    /**
     * {tokens, heads, kvHeads, headDim, window}: two query heads per kv head (and three), head
     * dims 4 and 8, a window shorter than the sequence, one head per kv head.
     */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(7);
        for (int[] c : new int[][] {{7, 4, 2, 4, 0}, {7, 4, 2, 8, 3}, {5, 2, 2, 4, 0}, {6, 6, 2, 4, 2}}) {
            int tokens = c[0], heads = c[1], kvHeads = c[2], hd = c[3], window = c[4];
            String what = java.util.Arrays.toString(c);
            var attention = new Attention(heads, kvHeads, hd, window, tokens + 2);
            float[] q = gaussian(rnd, tokens * heads * hd, 1.5), k = gaussian(rnd, tokens * kvHeads * hd, 1.5),
                    v = gaussian(rnd, tokens * kvHeads * hd, 1), dy = gaussian(rnd, q.length, 1);
            float[] out = new float[q.length], probs = new float[attention.probsFloats(tokens)];
            attention.forward(out, probs, q, k, v, tokens, 2);
            double[] qd = widen(q), kd = widen(k), vd = widen(v);
            assertClose("forward " + what, out, reference(qd, kd, vd, tokens, heads, kvHeads, hd, window), FORWARD_TOLERANCE);

            float[] dq0 = gaussian(rnd, q.length, 1), dk0 = gaussian(rnd, k.length, 1), dv0 = gaussian(rnd, v.length, 1);
            float[] dq = dq0.clone(), dk = dk0.clone(), dv = dv0.clone();
            attention.backward(dq, dk, dv, dy, probs, q, k, v, tokens, 2);
            java.util.function.DoubleSupplier loss = () -> dot(reference(qd, kd, vd, tokens, heads, kvHeads, hd, window), dy);
            assertGradient("dq " + what, dq, dq0, numeric(qd, loss));
            assertGradient("dk " + what, dk, dk0, numeric(kd, loss));
            assertGradient("dv " + what, dv, dv0, numeric(vd, loss));
        }
    }

    /**
     * The engine's attention over a batch from position 0 (its transposed-keys path for head dims
     * of whole vectors, the per-pair path for 8), with and without a window.
     */
    @Test
    void forwardIsTheEnginesAttention() {
        Random rnd = new Random(8);
        int len = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int hd : new int[] {8, 2 * len})
            for (int window : new int[] {0, 11}) {
                int tokens = 37, heads = 4, kvHeads = 2;
                float[] q = gaussian(rnd, tokens * heads * hd, 1), k = gaussian(rnd, tokens * kvHeads * hd, 1), v = gaussian(rnd, k.length, 1);
                var attention = new Attention(heads, kvHeads, hd, window, tokens);
                float[] out = new float[q.length], probs = new float[attention.probsFloats(tokens)];
                attention.forward(out, probs, q, k, v, tokens, 2);
                try (CpuBackend engine = new CpuBackend(1)) {
                    Backend.Buffer qb = engine.buffer(tokens, heads * hd), kb = engine.buffer(tokens, kvHeads * hd),
                            vb = engine.buffer(tokens, kvHeads * hd), ob = engine.buffer(tokens, heads * hd);
                    for (int t = 0; t < tokens; t++) {
                        engine.write(qb, t, q, t * heads * hd);
                        engine.write(kb, t, k, t * kvHeads * hd);
                        engine.write(vb, t, v, t * kvHeads * hd);
                    }
                    var shape = new Backend.Attention(heads, kvHeads, hd, (float) (1 / Math.sqrt(hd)), window);
                    engine.attention(ob, qb, kb, vb, shape, 0, tokens);
                    float[] expected = RmsNormTest.rows(engine, ob, tokens, heads * hd);
                    for (int i = 0; i < out.length; i++)
                        assertThat(out[i]).as("hd %d window %d at %d", hd, window, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2e-6f));
                }
            }
    }
}
