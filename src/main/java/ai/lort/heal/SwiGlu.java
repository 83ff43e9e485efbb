package ai.lort.heal;

import ai.lort.util.Parallel;

/** The MLP's gate: {@code h = silu(g) · u}, {@code silu(g) = g·σ(g)}, element-wise over n values. */
public final class SwiGlu {
    private static final int VALUES_PER_ITEM = 1 << 14;

    private SwiGlu() {}

    /** {@code out[i] = g[i] / (1 + e^(−g[i])) · u[i]}, as the engine's scalar path rounds it. */
    public static void forward(float[] out, float[] gate, float[] up, int n, int threads) {
        Parallel.forRanges(n, VALUES_PER_ITEM, threads, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = gate[i] / (1.0f + (float) StrictMath.exp(-gate[i])) * up[i];
        });
    }

    /**
     * With {@code σ = 1/(1 + e^(−g))}:
     * <pre>
     *   dg += dh · u · σ·(1 + g·(1 − σ))     (d silu/dg)
     *   du += dh · g·σ
     * </pre>
     */
    public static void backward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int n, int threads) {
        Parallel.forRanges(n, VALUES_PER_ITEM, threads, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = gate[i], sigma = 1.0f / (1.0f + (float) StrictMath.exp(-g));
                dgate[i] += dout[i] * up[i] * sigma * (1.0f + g * (1.0f - sigma));
                dup[i] += dout[i] * g * sigma;
            }
        });
    }
}
