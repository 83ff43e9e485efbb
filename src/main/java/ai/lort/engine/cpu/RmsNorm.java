package ai.lort.engine.cpu;

/**
 * RMSNorm as Hugging Face computes it in float32 with eps inside the root: {@code out[i] = w[i] ·
 * (x[i] · 1/√(mean(x²) + eps))}.
 *
 * <p>Scalar only: the sum of squares is a double summed in order, which a vector version would
 * reorder, and so change the bits of every output after it. Its cost per row is linear in the
 * row's width, the matrix products' beside it quadratic.
 */
final class RmsNorm {
    private RmsNorm() {}

    /** {@code out[o, o + size)} from {@code x[xo, xo + size)} and {@code w[0, size)}; out may be x at the same offset. */
    static void rmsNorm(float[] out, int o, float[] x, int xo, float[] w, int size, float eps) {
        double ss = 0;
        for (int i = 0; i < size; i++) ss += (double) x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt((float) (ss / size) + eps));
        for (int i = 0; i < size; i++) out[o + i] = w[i] * (x[xo + i] * inv);
    }

    /** Every {@code headDim}-wide head of {@code x[0, cols)} normalized in place with the same weights (Qwen3's q_norm / k_norm). */
    static void perHead(float[] x, int cols, float[] w, int headDim, float eps) {
        for (int h = 0; h < cols; h += headDim) rmsNorm(x, h, x, h, w, headDim, eps);
    }
}
