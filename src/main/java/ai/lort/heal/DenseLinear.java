package ai.lort.heal;

import ai.lort.kernel.Gemm;

/**
 * A frozen dense projection {@code y = x·Wᵀ (+ bias)}, W {@code [out × in]} row-major as
 * {@code torch.nn.Linear} stores it: a layer left uncompressed. Its weight gets no gradient; the
 * bias may train.
 */
public final class DenseLinear {
    private DenseLinear() {}

    /** {@code y[t] = W·x[t] + bias} for every token row; {@code bias} may be null. */
    public static void forward(float[] y, float[] x, float[] weight, float[] bias, int tokens, int in, int out, int threads) {
        Gemm.gemm(false, true, tokens, out, in, 1f, x, 0, in, weight, 0, in, 0f, y, 0, out, threads);
        if (bias != null) addBias(y, bias, tokens, out);
    }

    /**
     * <pre>
     *   dx    += dy·W           ([tokens × out]·[out × in])
     *   dbias += Σ_t dy[t]
     * </pre>
     * {@code dbias} may be null (no bias, or a frozen one).
     */
    public static void backward(float[] dx, float[] dbias, float[] dy, float[] weight, int tokens, int in, int out, int threads) {
        Gemm.gemm(false, false, tokens, in, out, 1f, dy, 0, out, weight, 0, in, 1f, dx, 0, in, threads);
        if (dbias != null) sumRows(dbias, dy, tokens, out);
    }

    /** {@code y[t] += bias} for every row. */
    static void addBias(float[] y, float[] bias, int tokens, int width) {
        for (int t = 0; t < tokens; t++)
            for (int i = 0, o = t * width; i < width; i++) y[o + i] += bias[i];
    }

    /** {@code sum += Σ_t rows[t]}: a bias gradient. */
    static void sumRows(float[] sum, float[] rows, int tokens, int width) {
        for (int t = 0; t < tokens; t++)
            for (int i = 0, o = t * width; i < width; i++) sum[i] += rows[o + i];
    }
}
