package ai.lort.heal;

import ai.lort.kernel.Gemm;

/**
 * The frozen output head: {@code logits = x·Eᵀ}, E {@code [vocab × width]} (the tied embedding or
 * lm_head, as floats). The losses on the logits are {@link Loss}'s.
 */
public final class OutputHead {
    /**
     * Vocabulary rows per product: {@link Gemm#gemm} packs all of op(B)'s columns for each depth
     * slice, so a whole 152k vocabulary would cost a 150 MB buffer per call; 8192 rows cost 8 MB.
     */
    static final int VOCAB_CHUNK = 8192;

    private OutputHead() {}

    /** {@code logits[t] = E·x[t]}: logits {@code [tokens × vocab]}, x {@code [tokens × width]}. */
    public static void forward(float[] logits, float[] x, float[] embedding, int tokens, int width, int vocab, int threads) {
        forward(logits, x, 0, embedding, tokens, width, vocab, threads);
    }

    /** {@link #forward} of the rows {@code [row0, row0 + tokens)} of x. */
    public static void forward(float[] logits, float[] x, int row0, float[] embedding, int tokens, int width, int vocab, int threads) {
        for (int v0 = 0; v0 < vocab; v0 += VOCAB_CHUNK) {
            int n = Math.min(VOCAB_CHUNK, vocab - v0);
            Gemm.gemm(false, true, tokens, n, width, 1f, x, row0 * width, width, embedding, v0 * width, width, 0f, logits, v0, vocab, threads);
        }
    }

    /** {@code dx += dlogits·E} ({@code [tokens × vocab]·[vocab × width]}); E is frozen. */
    public static void backward(float[] dx, float[] dlogits, float[] embedding, int tokens, int width, int vocab, int threads) {
        backward(dx, 0, dlogits, embedding, tokens, width, vocab, threads);
    }

    /** {@link #backward} into the rows {@code [row0, row0 + tokens)} of dx. */
    public static void backward(float[] dx, int row0, float[] dlogits, float[] embedding, int tokens, int width, int vocab, int threads) {
        Gemm.gemm(false, false, tokens, width, vocab, 1f, dlogits, 0, vocab, embedding, 0, width, 1f, dx, row0 * width, width, threads);
    }
}
