package ai.lort.engine.cpu;

import static ai.lort.engine.cpu.OpTesting.VL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.engine.Backend.Attention;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionTaskTest {
    /**
     * Tolerance on an output, a weighted mean of standard normal values: float rounding in the
     * scores, the softmax and the sums moves it by up to about 1e-6; a score that loses one term
     * of its dot product moves it by orders of magnitude more.
     */
    private static final double TOLERANCE = 1e-5;

    /**
     * Causal grouped-query attention in double precision, the definition: query row t at position
     * pos + t, head h, over key positions [firstSeen(pos + t), pos + t] of kv head h / (heads / kvHeads).
     */
    private static double[][] reference(Attention shape, float[][] q, float[][] k, float[][] v, int pos, int n) {
        int hd = shape.headDim(), group = shape.heads() / shape.kvHeads();
        double[][] out = new double[n][shape.heads() * hd];
        for (int t = 0; t < n; t++)
            for (int h = 0; h < shape.heads(); h++) {
                int last = pos + t, first = shape.firstSeen(last), ko = h / group * hd;
                double[] p = new double[last + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int s = first; s <= last; s++) {
                    for (int d = 0; d < hd; d++) p[s] += (double) q[t][h * hd + d] * k[s][ko + d];
                    p[s] *= shape.scale();
                    max = Math.max(max, p[s]);
                }
                for (int s = first; s <= last; s++) sum += p[s] = Math.exp(p[s] - max);
                for (int s = first; s <= last; s++)
                    for (int d = 0; d < hd; d++) out[t][h * hd + d] += p[s] / sum * v[s][ko + d];
            }
        return out;
    }

    /**
     * Both kinds of task against the definition: head sizes 8, 64 and 128 (the transposed kind only
     * where a head is whole vectors, as the backend picks it), 6 query heads over 2 kv heads,
     * without a window and with windows that the positions cross, a batch starting at 0 and later;
     * each job run on its own thread index, as the pool would.
     */
    @Test
    void bothKindsMatchTheDefinition() {
        Random rnd = new Random(41);
        for (int hd : new int[] {8, 64, 128})
            for (int window : new int[] {0, 5, 37})
                for (int[] posN : new int[][] {{0, 1}, {0, 2}, {0, 33}, {13, 1}, {13, 50}, {90, 1}, {90, 7}}) {
                    int pos = posN[0], n = posN[1], heads = 6, kvHeads = 2, context = pos + n;
                    var shape = new Attention(heads, kvHeads, hd, (float) (1 / Math.sqrt(hd)), window);
                    float[][] q = OpTesting.gaussian(rnd, n, heads * hd, 1), k = OpTesting.gaussian(rnd, context, kvHeads * hd, 1),
                            v = OpTesting.gaussian(rnd, context, kvHeads * hd, 1);
                    double[][] want = reference(shape, q, k, v, pos, n);
                    int jobs = n * heads;
                    float[][] scores = new float[jobs][context + AttentionKernels.SLACK];

                    var pair = new AttentionTask.Pair();
                    float[][] got = new float[n][heads * hd];
                    pair.set(got, q, k, v, shape, pos, scores);
                    for (int job = 0; job < jobs; job++) pair.run(job, job + 1, job);
                    check(got, want, "pair hd %d window %d pos %d n %d".formatted(hd, window, pos, n));

                    if (hd % VL != 0) continue;
                    var transposed = new AttentionTask.Transposed();
                    int lo = shape.firstSeen(pos);
                    float[][][] kt = AttentionKernels.transposeKeys(k, lo, context, shape, null);
                    got = new float[n][heads * hd];
                    transposed.set(got, q, kt, lo, v, shape, pos, scores);
                    for (int job = 0; job < jobs; job++) transposed.run(job, job + 1, job);
                    check(got, want, "transposed hd %d window %d pos %d n %d".formatted(hd, window, pos, n));
                }
    }

    private static void check(float[][] got, double[][] want, String what) {
        for (int t = 0; t < want.length; t++)
            for (int i = 0; i < want[t].length; i++)
                assertThat((double) got[t][i]).as("%s t %d i %d", what, t, i).isCloseTo(want[t][i], within(TOLERANCE));
    }
}
