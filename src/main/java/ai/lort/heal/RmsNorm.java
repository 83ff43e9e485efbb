package ai.lort.heal;

import ai.lort.util.Parallel;

/**
 * RMSNorm as Hugging Face's {@code LlamaRMSNorm}: {@code out = w ∘ (x · rstd)} per row, with
 * {@code rstd = 1/sqrt(mean(x²) + eps)}, the sum of squares in double as the engine sums it.
 * The per-head q/k norm of Qwen3 is the same operation on {@code tokens·heads} rows of
 * {@code headDim} values sharing one weight of {@code headDim}: a {@code [tokens × heads·headDim]}
 * array is already {@code [tokens·heads × headDim]}.
 */
public final class RmsNorm {
    /** Rows per work item: a row costs a few hundred operations, so hand out several at once. */
    private static final int ROWS_PER_ITEM = 16;
    /** Columns per work item of the weight gradient (a column sum over all rows). */
    private static final int COLUMNS_PER_ITEM = 64;

    private RmsNorm() {}

    /**
     * {@code out[r] = w ∘ (x[r] · rstd[r])} for every row r of {@code dim} values; {@code rstd[r]}
     * is saved for the backward pass. {@code out} may be {@code x}.
     */
    public static void forward(float[] out, float[] rstd, float[] x, float[] weight, int rows, int dim, float eps, int threads) {
        Parallel.forRanges(rows, ROWS_PER_ITEM, threads, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * dim;
                double ss = 0;
                for (int i = 0; i < dim; i++) ss += (double) x[o + i] * x[o + i];
                // The engine's rounding: the mean of squares to float, eps added in float.
                float inv = (float) (1.0 / Math.sqrt((float) (ss / dim) + eps));
                rstd[r] = inv;
                for (int i = 0; i < dim; i++) out[o + i] = weight[i] * (x[o + i] * inv);
            }
        });
    }

    /**
     * With {@code y_i = w_i·x_i·r}, {@code r = (mean(x²) + eps)^(-1/2)}, per row:
     * <pre>
     *   dx_j += r·w_j·dy_j − (r³/dim)·x_j·Σ_i dy_i·w_i·x_i
     *   dw_i += Σ_rows dy_i·x_i·r
     * </pre>
     * {@code dweight} may be null (a frozen norm).
     */
    public static void backward(float[] dx, float[] dweight, float[] dout, float[] x, float[] weight, float[] rstd,
                                int rows, int dim, int threads) {
        Parallel.forRanges(rows, ROWS_PER_ITEM, threads, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * dim;
                float inv = rstd[r];
                double dot = 0; // Σ dy·w·x
                for (int i = 0; i < dim; i++) dot += (double) dout[o + i] * weight[i] * x[o + i];
                float c = (float) (dot * inv * inv * inv / dim);
                for (int i = 0; i < dim; i++) dx[o + i] += inv * weight[i] * dout[o + i] - c * x[o + i];
            }
        });
        if (dweight == null) return;
        Parallel.forRanges(dim, COLUMNS_PER_ITEM, threads, (from, to) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * dim;
                float inv = rstd[r];
                for (int i = from; i < to; i++) dweight[i] += dout[o + i] * x[o + i] * inv;
            }
        });
    }
}
