package ai.lort.heal;

import ai.lort.kernel.Gemm;
import ai.lort.util.Parallel;

/**
 * Causal grouped-query attention over one sequence: q {@code [tokens × heads·headDim]}, k and v
 * {@code [tokens × kvHeads·headDim]} (after RoPE); query head h reads kv head
 * {@code h / (heads/kvHeads)}. The token at position t attends to positions
 * {@code first(t)..t}, {@code first(t) = max(0, t − window + 1)} with a sliding window
 * ({@code window > 0}), else 0, as {@link ai.lort.engine.Backend.Attention#firstSeen}. Scores are
 * scaled by {@code 1/sqrt(headDim)}; softmax in float32.
 *
 * <p>Per head, with P the {@code [tokens × tokens]} probabilities (zero outside the causal
 * window), the products are {@link Gemm#gemm} calls on the heads' column slices; the heads run
 * in parallel. The probabilities are the saved activation: {@code heads × tokens × tokens}
 * floats, {@code probs[(h·tokens + t)·tokens + s]}. An instance owns the backward's scratch: one
 * serves every layer, one call at a time.
 */
public final class Attention {
    private final int heads, kvHeads, headDim, window, maxTokens;
    private final float scale;
    /** Backward scratch: dP then dS per head ({@code heads × maxTokens²}), and dk, dv per query head (q's layout). */
    private final float[] dScores, dkPerHead, dvPerHead;

    /** For sequences of up to {@code maxTokens} tokens; {@code window} 0 means none. */
    public Attention(int heads, int kvHeads, int headDim, int window, int maxTokens) {
        if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads over " + kvHeads + " kv heads");
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.window = window;
        this.maxTokens = maxTokens;
        this.scale = (float) (1.0 / Math.sqrt(headDim)); // as LlamaModel builds Backend.Attention
        this.dScores = new float[heads * maxTokens * maxTokens];
        this.dkPerHead = new float[maxTokens * heads * headDim];
        this.dvPerHead = new float[maxTokens * heads * headDim];
    }

    /** Floats of the probabilities a forward over {@code tokens} tokens saves. */
    public int probsFloats(int tokens) { return heads * tokens * tokens; }

    private int first(int t) { return window > 0 ? Math.max(0, t - window + 1) : 0; }

    /**
     * Per query head h (kv head g):
     * <pre>
     *   S = scale · Q_h·K_gᵀ,   P = softmax over each row's window (0 elsewhere),   O_h = P·V_g
     * </pre>
     * {@code out} is {@code [tokens × heads·headDim]}; {@code probs} keeps P.
     */
    public void forward(float[] out, float[] probs, float[] q, float[] k, float[] v, int tokens, int threads) {
        forward(out, probs, 0, q, k, v, 0, tokens, threads);
    }

    /**
     * {@link #forward} on the sequence at rows {@code [row0, row0 + tokens)} of out, q, k and v
     * (several sequences stacked, each its own positions from 0), its probabilities from
     * {@code probs[probsOff]}.
     */
    public void forward(float[] out, float[] probs, int probsOff, float[] q, float[] k, float[] v, int row0, int tokens, int threads) {
        check(tokens);
        int qStride = heads * headDim, kvStride = kvHeads * headDim, group = heads / kvHeads, tt = tokens * tokens;
        int qo = row0 * qStride, ko = row0 * kvStride;
        Parallel.forEach(heads, 1, threads, h -> {
            int g = h / group, p0 = probsOff + h * tt;
            Gemm.gemm(false, true, tokens, tokens, headDim, scale, q, qo + h * headDim, qStride, k, ko + g * headDim, kvStride,
                    0f, probs, p0, tokens, 1);
            for (int t = 0; t < tokens; t++) softmaxRow(probs, p0 + t * tokens, first(t), t, tokens);
            Gemm.gemm(false, false, tokens, headDim, tokens, 1f, probs, p0, tokens, v, ko + g * headDim, kvStride,
                    0f, out, qo + h * headDim, qStride, 1);
        });
    }

    /** Softmax of {@code row[first..last]} in float32 as the engine's per-pair path; the rest of the row zero. */
    private static void softmaxRow(float[] p, int row, int first, int last, int tokens) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = first; s <= last; s++) max = Math.max(max, p[row + s]);
        float sum = 0;
        for (int s = first; s <= last; s++) {
            p[row + s] = (float) StrictMath.exp(p[row + s] - max);
            sum += p[row + s];
        }
        for (int s = first; s <= last; s++) p[row + s] /= sum;
        java.util.Arrays.fill(p, row, row + first, 0f);
        java.util.Arrays.fill(p, row + last + 1, row + tokens, 0f);
    }

    /**
     * Per query head h (kv head g), with dO_h the head's slice of {@code dout}:
     * <pre>
     *   dV_g += Pᵀ·dO_h
     *   dP    = dO_h·V_gᵀ
     *   dS    = scale · P ∘ (dP − rowsum(P ∘ dP))     (softmax backward; 0 outside the window as P is)
     *   dQ_h += dS·K_g
     *   dK_g += dSᵀ·Q_h
     * </pre>
     * The heads of a group add into one kv head: each head's dK, dV go to scratch, summed after.
     */
    public void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs, float[] q, float[] k, float[] v,
                         int tokens, int threads) {
        backward(dq, dk, dv, dout, probs, 0, q, k, v, 0, tokens, threads);
    }

    /** {@link #backward} on the sequence at rows {@code [row0, row0 + tokens)}, as the offset {@link #forward}. */
    public void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs, int probsOff, float[] q, float[] k, float[] v,
                         int row0, int tokens, int threads) {
        check(tokens);
        int qStride = heads * headDim, kvStride = kvHeads * headDim, group = heads / kvHeads, tt = tokens * tokens;
        int qo = row0 * qStride, ko = row0 * kvStride;
        Parallel.forEach(heads, 1, threads, h -> {
            int g = h / group, p0 = probsOff + h * tt, s0 = h * tt, ho = h * headDim, go = g * headDim;
            Gemm.gemm(true, false, tokens, headDim, tokens, 1f, probs, p0, tokens, dout, qo + ho, qStride, 0f, dvPerHead, ho, qStride, 1);
            Gemm.gemm(false, true, tokens, tokens, headDim, 1f, dout, qo + ho, qStride, v, ko + go, kvStride, 0f, dScores, s0, tokens, 1);
            for (int t = 0; t < tokens; t++) {
                int row = t * tokens;
                double dot = 0; // Σ_s P·dP over the row
                for (int s = first(t); s <= t; s++) dot += (double) probs[p0 + row + s] * dScores[s0 + row + s];
                float d = (float) dot;
                for (int s = 0; s < tokens; s++) dScores[s0 + row + s] = scale * probs[p0 + row + s] * (dScores[s0 + row + s] - d);
            }
            Gemm.gemm(false, false, tokens, headDim, tokens, 1f, dScores, s0, tokens, k, ko + go, kvStride, 1f, dq, qo + ho, qStride, 1);
            Gemm.gemm(true, false, tokens, headDim, tokens, 1f, dScores, s0, tokens, q, qo + ho, qStride, 0f, dkPerHead, ho, qStride, 1);
        });
        Parallel.forRanges(tokens, 16, threads, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int h = 0; h < heads; h++) {
                    int src = t * qStride + h * headDim, dst = (row0 + t) * kvStride + (h / group) * headDim;
                    for (int d = 0; d < headDim; d++) {
                        dk[dst + d] += dkPerHead[src + d];
                        dv[dst + d] += dvPerHead[src + d];
                    }
                }
        });
    }

    private void check(int tokens) {
        if (tokens < 1 || tokens > maxTokens) throw new IllegalArgumentException(tokens + " tokens, at most " + maxTokens);
    }
}
