package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The losses and the output head: values and gradients against double references. */
class LossTest {
    private static final int TOKENS = 5, VOCAB = 37, WIDTH = 6, K = 4;
    /** Position 2 is not scored. */
    private static final boolean[] SCORED = {true, true, false, true, true};

    private static double[] logSoftmax(double[] z, int o, int vocab) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < vocab; j++) max = Math.max(max, z[o + j]);
        for (int j = 0; j < vocab; j++) sum += Math.exp(z[o + j] - max);
        double[] l = new double[vocab];
        for (int j = 0; j < vocab; j++) l[j] = z[o + j] - max - Math.log(sum);
        return l;
    }

    private static double klFull(double[] z, double[] teacher) {
        double total = 0;
        int n = 0;
        for (int t = 0; t < TOKENS; t++) {
            if (!SCORED[t]) continue;
            double[] lq = logSoftmax(z, t * VOCAB, VOCAB), lp = logSoftmax(teacher, t * VOCAB, VOCAB);
            for (int j = 0; j < VOCAB; j++) total += Math.exp(lp[j]) * (lp[j] - lq[j]);
            n++;
        }
        return total / n;
    }

    /** Σ_K p log(p/q) + p_T log(p_T/q_T), q_T = Σ of q outside K (not 1 − Σ_K q, to be independent of the code). */
    private static double klTopK(double[] z, int[] ids, float[] probs) {
        double total = 0;
        int n = 0;
        for (int t = 0; t < TOKENS; t++) {
            if (!SCORED[t]) continue;
            double[] lq = logSoftmax(z, t * VOCAB, VOCAB);
            boolean[] inK = new boolean[VOCAB];
            double pK = 0;
            for (int i = 0; i < K; i++) {
                int id = ids[t * K + i];
                double p = probs[t * K + i];
                inK[id] = true;
                pK += p;
                if (p > 0) total += p * (Math.log(p) - lq[id]);
            }
            double qTail = 0, pTail = Math.max(0, 1 - pK);
            for (int j = 0; j < VOCAB; j++) if (!inK[j]) qTail += Math.exp(lq[j]);
            if (pTail > 0) total += pTail * Math.log(pTail / qTail);
            n++;
        }
        return total / n;
    }

    private static double crossEntropy(double[] z, int[] targets) {
        double total = 0;
        int n = 0;
        for (int t = 0; t < TOKENS; t++) {
            if (!SCORED[t]) continue;
            total -= logSoftmax(z, t * VOCAB, VOCAB)[targets[t]];
            n++;
        }
        return total / n;
    }

    /** Teacher top-k: the k most probable ids of a random distribution; row 1's probabilities sum to 1 (no tail). */
    private static void topK(Random rnd, int[] ids, float[] probs) {
        for (int t = 0; t < TOKENS; t++) {
            double[] teacher = widen(gaussian(rnd, VOCAB, 2));
            double[] lp = logSoftmax(teacher, 0, VOCAB);
            Integer[] order = new Integer[VOCAB];
            for (int j = 0; j < VOCAB; j++) order[j] = j;
            java.util.Arrays.sort(order, (i, j) -> Double.compare(lp[j], lp[i]));
            for (int i = 0; i < K; i++) {
                ids[t * K + i] = order[i];
                probs[t * K + i] = (float) Math.exp(lp[order[i]]);
            }
        }
        float[] whole = {0.5f, 0.25f, 0.125f, 0.125f};
        System.arraycopy(whole, 0, probs, K, K);
    }

    /** Each loss's value and dL/dlogits against the double reference; unscored rows get zero gradient. */
    @Test
    void lossGradientsMatchFiniteDifferences() {
        Random rnd = new Random(13);
        float[] logits = gaussian(rnd, TOKENS * VOCAB, 2), teacher = gaussian(rnd, TOKENS * VOCAB, 2);
        int[] ids = new int[TOKENS * K], targets = new int[TOKENS];
        float[] probs = new float[TOKENS * K];
        topK(rnd, ids, probs);
        for (int t = 0; t < TOKENS; t++) targets[t] = rnd.nextInt(VOCAB);
        double[] z = widen(logits), teacherD = widen(teacher);
        var loss = new Loss(VOCAB, TOKENS + 3);
        for (String kind : new String[] {"klFull", "klTopK", "crossEntropy"}) {
            DoubleSupplier reference = switch (kind) {
                case "klFull" -> () -> klFull(z, teacherD);
                case "klTopK" -> () -> klTopK(z, ids, probs);
                default -> () -> crossEntropy(z, targets);
            };
            float[] d = logits.clone();
            double value = switch (kind) {
                case "klFull" -> loss.klFull(d, teacher, SCORED, TOKENS, true, 2);
                case "klTopK" -> loss.klTopK(d, ids, probs, K, SCORED, TOKENS, true, 2);
                default -> loss.crossEntropy(d, targets, SCORED, TOKENS, true, 2);
            };
            assertThat(value).as(kind).isCloseTo(reference.getAsDouble(), within(1e-6 * Math.abs(reference.getAsDouble())));
            assertThat(loss.rowLoss(2)).isZero();
            assertClose(kind + " dlogits", d, numeric(z, reference), GRADIENT_TOLERANCE);
            for (int j = 0; j < VOCAB; j++) assertThat(d[2 * VOCAB + j]).isZero();

            float[] untouched = logits.clone();
            double again = switch (kind) {
                case "klFull" -> loss.klFull(untouched, teacher, SCORED, TOKENS, false, 1);
                case "klTopK" -> loss.klTopK(untouched, ids, probs, K, SCORED, TOKENS, false, 1);
                default -> loss.crossEntropy(untouched, targets, SCORED, TOKENS, false, 1);
            };
            assertThat(again).as(kind + " without gradient").isEqualTo(value);
            assertThat(untouched).isEqualTo(logits);
        }
        // No tail: the top-k loss of row 1 is the KL over its four ids, its gradient outside them q_j.
        assertThat(loss.rowLoss(1)).isPositive();
    }

    /** x → logits → top-k KL → dx: the head's backward chained with the loss, against finite differences in x. */
    @Test
    void headBackwardMatchesFiniteDifferences() {
        Random rnd = new Random(14);
        float[] x = gaussian(rnd, TOKENS * WIDTH, 1), e = gaussian(rnd, VOCAB * WIDTH, 1);
        int[] ids = new int[TOKENS * K];
        float[] probs = new float[TOKENS * K];
        topK(rnd, ids, probs);
        float[] logits = new float[TOKENS * VOCAB];
        OutputHead.forward(logits, x, e, TOKENS, WIDTH, VOCAB, 2);
        double[] xd = widen(x), ed = widen(e);
        assertClose("logits", logits, DenseLinearTest.reference(xd, ed, null, TOKENS, WIDTH, VOCAB), FORWARD_TOLERANCE);
        new Loss(VOCAB, TOKENS).klTopK(logits, ids, probs, K, SCORED, TOKENS, true, 2);
        float[] dx0 = gaussian(rnd, x.length, 1), dx = dx0.clone();
        OutputHead.backward(dx, logits, e, TOKENS, WIDTH, VOCAB, 2);
        assertGradient("dx", dx, dx0, numeric(xd, () -> klTopK(DenseLinearTest.reference(xd, ed, null, TOKENS, WIDTH, VOCAB), ids, probs)));
    }

    /** A vocabulary over several of the head's chunks: forward and backward against double products. */
    @Test
    void headCoversAVocabularyOfSeveralChunks() {
        Random rnd = new Random(15);
        int tokens = 3, width = 4, vocab = 2 * OutputHead.VOCAB_CHUNK + 5;
        float[] x = gaussian(rnd, tokens * width, 1), e = gaussian(rnd, vocab * width, 1), logits = new float[tokens * vocab];
        OutputHead.forward(logits, x, e, tokens, width, vocab, 2);
        double[] ed = widen(e);
        assertClose("logits", logits, DenseLinearTest.reference(widen(x), ed, null, tokens, width, vocab), FORWARD_TOLERANCE);
        float[] dlogits = gaussian(rnd, tokens * vocab, 1), dx = new float[tokens * width];
        OutputHead.backward(dx, dlogits, e, tokens, width, vocab, 2);
        double[] expected = new double[tokens * width];
        for (int t = 0; t < tokens; t++)
            for (int v = 0; v < vocab; v++)
                for (int c = 0; c < width; c++) expected[t * width + c] += dlogits[t * vocab + v] * ed[v * width + c];
        assertClose("dx", dx, expected, FORWARD_TOLERANCE);
    }
}
