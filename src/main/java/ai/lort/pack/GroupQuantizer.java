package ai.lort.pack;

/**
 * Group quantization of a dense matrix, the encodings {@code q8-g32} and {@code q4-g32} of
 * docs/FORMAT.md: each row is cut into groups of {@link #GROUP} weights (the last one padded with
 * zeros), every group has one IEEE binary16 scale {@code d} and one signed integer code per weight,
 * and weight j of the group is {@code d · code_j}.
 *
 * <ul>
 *   <li>8 bits: {@code code} in [−127, 127], one byte each (two's complement);
 *   <li>4 bits: {@code code} in [−8, 7], stored as the nibble {@code code + 8}; byte {@code j < 16}
 *       of a group holds weight j in its low nibble and weight {@code j + 16} in its high nibble
 *       (llama.cpp's Q4_0 order, so one 16-byte load gives two runs of 16 consecutive weights).
 * </ul>
 *
 * <p>The scale is chosen for the smallest squared error of the group with the scale already
 * rounded to binary16, so what is stored is what was fitted: 8 bits take the largest magnitude to
 * ±127; 4 bits try a grid of scales that put the largest magnitude near −8 or +7, refit each by
 * least squares, and keep the best (as llama.cpp's {@code make_qx_quants} does, unweighted).
 */
public final class GroupQuantizer {
    private GroupQuantizer() {}

    /** Weights per group. */
    public static final int GROUP = 32;

    /** Groups of a row of {@code cols} weights. */
    public static int groups(int cols) { return (cols + GROUP - 1) / GROUP; }

    /** Bytes of one row's codes at {@code bits} (8 or 4) bits per weight. */
    public static int rowBytes(int cols, int bits) { return groups(cols) * GROUP * bits / 8; }

    /**
     * Quantizes one row: {@code w[off, off + cols)} into {@code codes[codeOff, codeOff + rowBytes)}
     * and {@code groups(cols)} binary16 scales at {@code scales[scaleOff ..]}.
     */
    public static void quantizeRow(float[] w, int off, int cols, int bits, byte[] codes, int codeOff, short[] scales, int scaleOff) {
        float[] g = new float[GROUP];
        int[] q = new int[GROUP], trial = new int[GROUP];
        for (int k = 0, n = groups(cols); k < n; k++) {
            java.util.Arrays.fill(g, 0);
            int len = Math.min(GROUP, cols - k * GROUP);
            System.arraycopy(w, off + k * GROUP, g, 0, len);
            short d = bits == 8 ? quantize8(g, q) : quantize4(g, q, trial);
            scales[scaleOff + k] = d;
            int at = codeOff + k * GROUP * bits / 8;
            if (bits == 8) {
                for (int j = 0; j < GROUP; j++) codes[at + j] = (byte) q[j];
            } else {
                for (int j = 0; j < GROUP / 2; j++) codes[at + j] = (byte) ((q[j] + 8) | (q[j + GROUP / 2] + 8) << 4);
            }
        }
    }

    /** The code of weight {@code j} of a row whose codes start at {@code rowOff} of {@code codes}. */
    public static int code(byte[] codes, int rowOff, int j, int bits) {
        if (bits == 8) return codes[rowOff + j];
        int group = j / GROUP, k = j % GROUP;
        int b = codes[rowOff + group * GROUP / 2 + k % (GROUP / 2)] & 0xFF;
        return (k < GROUP / 2 ? b & 15 : b >>> 4) - 8;
    }

    /** Largest magnitude to ±127, scale rounded to binary16 first; codes into q. Returns the scale's bits. */
    private static short quantize8(float[] g, int[] q) {
        float amax = 0;
        for (float v : g) amax = Math.max(amax, Math.abs(v));
        short d = Float.floatToFloat16(amax / 127);
        codes(g, Float.float16ToFloat(d), 127, -127, q);
        return d;
    }

    /**
     * The binary16 scale of least squared error among a grid: scales putting the signed value of
     * largest magnitude at code t for t in ±[6.5, 8.5] in steps of 0.1, each refit by least squares
     * to its codes and rounded to binary16; codes are then the nearest for the chosen scale.
     */
    private static short quantize4(float[] g, int[] q, int[] trial) {
        float max = 0;
        for (float v : g) if (Math.abs(v) > Math.abs(max)) max = v;
        if (max == 0 || !Float.isFinite(max)) {
            java.util.Arrays.fill(q, 0);
            return 0;
        }
        short best = Float.floatToFloat16(max / -8);
        double bestErr = codes(g, Float.float16ToFloat(best), 7, -8, q);
        for (int sign = -1; sign <= 1; sign += 2)
            for (int s = 0; s <= 20; s++) {
                float t = sign * (6.5f + 0.1f * s);
                codes(g, max / t, 7, -8, trial);
                double xl = 0, ll = 0;
                for (int j = 0; j < GROUP; j++) {
                    xl += (double) g[j] * trial[j];
                    ll += (double) trial[j] * trial[j];
                }
                if (ll == 0) continue;
                short d = Float.floatToFloat16((float) (xl / ll));
                double err = codes(g, Float.float16ToFloat(d), 7, -8, trial);
                if (err < bestErr) {
                    bestErr = err;
                    best = d;
                    System.arraycopy(trial, 0, q, 0, GROUP);
                }
            }
        return best;
    }

    /** The nearest codes in [lo, hi] for scale d (all 0 when d is 0) into q; returns the squared error. */
    private static double codes(float[] g, float d, int hi, int lo, int[] q) {
        double err = 0;
        for (int j = 0; j < GROUP; j++) {
            int c = d == 0 ? 0 : Math.clamp(Math.round(g[j] / d), lo, hi);
            q[j] = c;
            double e = g[j] - (double) d * c;
            err += e * e;
        }
        return err;
    }
}
