package ai.lort.engine.cpu;

/**
 * Rotary position embedding, the "rotate half" layout of Hugging Face's Llama: in every
 * {@code headDim}-wide head, the pair (i, i + headDim/2) turns by the angle whose cosine and sine
 * are {@code cos[base + i]}, {@code sin[base + i]}.
 *
 * <p>Scalar only: two products and a sum or difference per value, linear in the row's width
 * beside the matrix products' quadratic cost; a vector version of the same operations (no FMA)
 * would give the same bits.
 */
final class Rope {
    private Rope() {}

    /** Rotates the heads of {@code row[0, cols)}; {@code base} is the position times headDim/2 (the tables' row). */
    static void rotate(float[] row, int cols, int headDim, float[] cos, float[] sin, int base) {
        int half = headDim / 2;
        for (int h = 0; h < cols; h += headDim) {
            for (int i = 0; i < half; i++) {
                float x0 = row[h + i], x1 = row[h + i + half];
                float ci = cos[base + i], si = sin[base + i];
                row[h + i] = x0 * ci - x1 * si;
                row[h + i + half] = x1 * ci + x0 * si;
            }
        }
    }
}
