package ai.lort.heal;

import ai.lort.util.Parallel;

/**
 * Rotary position embedding as the engine applies it ({@code rotate_half}): in every head of
 * {@code headDim} values, the pair {@code (i, i + headDim/2)} of the token at position p is
 * rotated by the angle whose cosine and sine are {@code cos[p·half + i]}, {@code sin[p·half + i]}
 * ({@link ai.lort.model.RopeTable}'s layout, which already holds the linear and llama3 scalings).
 */
public final class Rope {
    private static final int TOKENS_PER_ITEM = 8;

    private Rope() {}

    /**
     * {@code out = rot(θ)·x} per pair: {@code (x0·c − x1·s, x1·c + x0·s)}, for {@code tokens} rows
     * of {@code width} values (whole heads). {@code out} may be {@code x}.
     */
    public static void forward(float[] out, float[] x, float[] cos, float[] sin, int tokens, int width, int headDim, int threads) {
        forward(out, x, cos, sin, null, tokens, width, headDim, threads);
    }

    /** {@link #forward} with row t at position {@code positions[t]} (stacked sequences; null: position t). */
    public static void forward(float[] out, float[] x, float[] cos, float[] sin, int[] positions, int tokens, int width, int headDim, int threads) {
        int half = headDim / 2;
        Parallel.forRanges(tokens, TOKENS_PER_ITEM, threads, (from, to) -> {
            for (int t = from; t < to; t++) {
                int row = t * width, angle = (positions == null ? t : positions[t]) * half;
                for (int h = row; h < row + width; h += headDim)
                    for (int i = 0; i < half; i++) {
                        float x0 = x[h + i], x1 = x[h + i + half];
                        float c = cos[angle + i], s = sin[angle + i];
                        out[h + i] = x0 * c - x1 * s;
                        out[h + i + half] = x1 * c + x0 * s;
                    }
            }
        });
    }

    /**
     * The transpose of the rotation, i.e. the rotation by −θ: {@code dx0 += dy0·c + dy1·s},
     * {@code dx1 += dy1·c − dy0·s}. {@code dx} must not be {@code dout}.
     */
    public static void backward(float[] dx, float[] dout, float[] cos, float[] sin, int tokens, int width, int headDim, int threads) {
        backward(dx, dout, cos, sin, null, tokens, width, headDim, threads);
    }

    /** {@link #backward} with row t at position {@code positions[t]} (null: position t). */
    public static void backward(float[] dx, float[] dout, float[] cos, float[] sin, int[] positions, int tokens, int width, int headDim,
                                int threads) {
        int half = headDim / 2;
        Parallel.forRanges(tokens, TOKENS_PER_ITEM, threads, (from, to) -> {
            for (int t = from; t < to; t++) {
                int row = t * width, angle = (positions == null ? t : positions[t]) * half;
                for (int h = row; h < row + width; h += headDim)
                    for (int i = 0; i < half; i++) {
                        float dy0 = dout[h + i], dy1 = dout[h + i + half];
                        float c = cos[angle + i], s = sin[angle + i];
                        dx[h + i] += dy0 * c + dy1 * s;
                        dx[h + i + half] += dy1 * c - dy0 * s;
                    }
            }
        });
    }
}
