package ai.lort.heal;

import ai.lort.engine.cpu.VectorExp;
import ai.lort.util.Parallel;

/**
 * Losses on the student's logits {@code [tokens × vocab]}, each the mean over the scored
 * positions (all of them when {@code scored} is null) of a per-position loss, with
 * log-softmax in float32 logits and double sums. With {@code gradient}, the logits are replaced in
 * place by {@code dL/dlogits} (zero on unscored rows), so that a vocabulary-wide array exists once;
 * {@link OutputHead#backward} takes it from there. Per-position losses stay readable through
 * {@link #rowLoss} until the next call (one call at a time per instance).
 *
 * <p>Notation for one position: student {@code q = softmax(z)}, teacher p, N the scored positions.
 */
public final class Loss {
    /** Floor of the student's tail mass in the top-k loss, so that its logarithm stays finite. */
    static final double MIN_TAIL = 1e-30;

    private final int vocab;
    private final double[] rowLoss;
    /** klTopK: the student's unnormalized {@code e^(z_i − max)} of each row's top-k ids, grown on demand. */
    private float[] topExp = new float[0];

    public Loss(int vocab, int maxTokens) {
        this.vocab = vocab;
        this.rowLoss = new double[maxTokens];
    }

    /** The loss of position t in the last call (0 when it was not scored). */
    public double rowLoss(int t) { return rowLoss[t]; }

    /**
     * {@code KL(p ‖ q) = Σ_j p_j·(log p_j − log q_j)}, the teacher's full distribution given by its
     * logits {@code teacherLogits [tokens × vocab]} (left unchanged).
     * <pre>  dz_j = (q_j − p_j) / N</pre>
     */
    public double klFull(float[] logits, float[] teacherLogits, boolean[] scored, int tokens, boolean gradient, int threads) {
        int n = count(scored, tokens);
        Parallel.forEach(tokens, 1, threads, t -> {
            int o = t * vocab;
            if (!scoredRow(scored, t)) {
                skip(logits, o, t, gradient);
                return;
            }
            float zMax = max(logits, o), aMax = max(teacherLogits, o);
            // One pass: Zq = Σ e^(z−zMax), Zp = Σ e^(a−aMax), and the teacher-weighted sums of a−aMax and z−zMax,
            // from which E_p[log p] = Sa/Zp − log Zp and E_p[log q] = Sz/Zp − log Zq.
            double zq = 0, zp = 0, sa = 0, sz = 0;
            for (int j = 0; j < vocab; j++) {
                double dz = logits[o + j] - zMax, da = teacherLogits[o + j] - aMax;
                double ez = StrictMath.exp(dz), ea = StrictMath.exp(da);
                zq += ez;
                zp += ea;
                sa += ea * da;
                sz += ea * dz;
                if (gradient) logits[o + j] = (float) ez;
            }
            double logZq = StrictMath.log(zq), logZp = StrictMath.log(zp);
            rowLoss[t] = (sa / zp - logZp) - (sz / zp - logZq);
            if (!gradient) return;
            for (int j = 0; j < vocab; j++) {
                double p = StrictMath.exp(teacherLogits[o + j] - aMax - logZp);
                logits[o + j] = (float) ((logits[o + j] / zq - p) / n);
            }
        });
        return mean(scored, tokens, n);
    }

    /**
     * KL against a teacher known by its top k: distinct ids {@code topIds [tokens × k]} with
     * probabilities {@code topProbs}, and the tail mass {@code p_T = 1 − Σ_K p_i} (at least 0) as
     * one more outcome; the student's tail is {@code q_T = 1 − Σ_K q_i}.
     * <pre>
     *   L    = Σ_{i∈K} p_i·log(p_i/q_i) + p_T·log(p_T/q_T)
     *   dz_j = (q_j − p_j) / N                 j ∈ K
     *   dz_j = q_j·(1 − p_T/q_T) / N           j ∉ K
     * </pre>
     */
    public double klTopK(float[] logits, int[] topIds, float[] topProbs, int k, boolean[] scored, int tokens,
                         boolean gradient, int threads) {
        int n = count(scored, tokens);
        if (topExp.length < tokens * k) topExp = new float[tokens * k];
        float[] kept = topExp;
        Parallel.forEach(tokens, 1, threads, t -> {
            int o = t * vocab, ko = t * k;
            if (!scoredRow(scored, t)) {
                skip(logits, o, t, gradient);
                return;
            }
            float zMax = max(logits, o);
            // The top k's terms, before the row may be overwritten: Σ p log p, Σ p (z − zMax), P_K, and Z_K = Σ e^(z−zMax).
            double pLogP = 0, pz = 0, pK = 0, zK = 0;
            for (int i = 0; i < k; i++) {
                double p = topProbs[ko + i], dz = logits[o + topIds[ko + i]] - zMax, e = VectorExp.scalarExp((float) dz);
                kept[ko + i] = (float) e;
                zK += e;
                pK += p;
                pz += p * dz;
                if (p > 0) pLogP += p * StrictMath.log(p);
            }
            double z = sumExp(logits, o, zMax, gradient), logZ = StrictMath.log(z);
            double pTail = Math.max(0, 1 - pK), qTail = Math.max(MIN_TAIL, (z - zK) / z);
            // Σ_K p (log p − log q) with log q_i = (z_i − zMax) − log Z.
            double loss = pLogP - pz + pK * logZ;
            if (pTail > 0) loss += pTail * (StrictMath.log(pTail) - StrictMath.log(qTail));
            rowLoss[t] = loss;
            if (!gradient) return;
            double tailFactor = 1 - pTail / qTail;
            for (int j = 0; j < vocab; j++) logits[o + j] = (float) (logits[o + j] / z * tailFactor / n);
            for (int i = 0; i < k; i++) logits[o + topIds[ko + i]] = (float) ((kept[ko + i] / z - topProbs[ko + i]) / n);
        });
        return mean(scored, tokens, n);
    }

    /**
     * Cross-entropy on target ids {@code targets [tokens]}: {@code L = −log q_y};
     * {@code dz_j = (q_j − [j = y]) / N}.
     */
    public double crossEntropy(float[] logits, int[] targets, boolean[] scored, int tokens, boolean gradient, int threads) {
        int n = count(scored, tokens);
        Parallel.forEach(tokens, 1, threads, t -> {
            int o = t * vocab, y = targets[t];
            if (!scoredRow(scored, t)) {
                skip(logits, o, t, gradient);
                return;
            }
            if (y < 0 || y >= vocab) throw new IllegalArgumentException("target " + y + " at position " + t);
            float zMax = max(logits, o);
            double zy = logits[o + y] - zMax;
            double z = sumExp(logits, o, zMax, gradient);
            rowLoss[t] = StrictMath.log(z) - zy;
            if (!gradient) return;
            for (int j = 0; j < vocab; j++) logits[o + j] = (float) (logits[o + j] / z / n);
            logits[o + y] -= (float) (1.0 / n);
        });
        return mean(scored, tokens, n);
    }

    /** {@code Σ_j e^(z_j − max)} of the row at o, the terms left in the row when {@code keep}. */
    private double sumExp(float[] logits, int o, float max, boolean keep) {
        return VectorExp.sumExp(logits, o, vocab, max, keep);
    }

    private float max(float[] x, int o) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) m = Math.max(m, x[o + j]);
        return m;
    }

    private void skip(float[] logits, int o, int t, boolean gradient) {
        rowLoss[t] = 0;
        if (gradient) java.util.Arrays.fill(logits, o, o + vocab, 0f);
    }

    private static boolean scoredRow(boolean[] scored, int t) { return scored == null || scored[t]; }

    private int count(boolean[] scored, int tokens) {
        if (tokens > rowLoss.length) throw new IllegalArgumentException(tokens + " tokens, at most " + rowLoss.length);
        int n = 0;
        for (int t = 0; t < tokens; t++) if (scoredRow(scored, t)) n++;
        return n;
    }

    /** The mean of the scored rows' losses, summed in position order (the same bits on any thread count). */
    private double mean(boolean[] scored, int tokens, int n) {
        if (n == 0) return 0;
        double sum = 0;
        for (int t = 0; t < tokens; t++) if (scoredRow(scored, t)) sum += rowLoss[t];
        return sum / n;
    }
}
