package ai.lort.heal;

import ai.lort.util.Parallel;

/**
 * Moves a few ternary codes of one layer each step, PV-tuning style: with G the gradient of the
 * loss with respect to the layer's dense weight {@code diag(s)·T} (in its rotated basis), changing
 * code {@code t_ij} by ±1 changes the loss by about {@code ±s_i·G_ij}. Each step the codes whose
 * move to a neighbouring level ({−1, 0, +1}) promises the largest decrease, a fixed share of the
 * layer, move; the scales and factors, which train by gradient at the same time, follow.
 *
 * <p>G is averaged over steps (an exponential moving average) so that one batch's noise does not
 * flip codes back and forth.
 */
final class CodeUpdates {
    /** Weight of the past in the moving average of the gradient. */
    static final float MOMENTUM = 0.9f;
    /** Heap per weight of the layer: this step's gradient, its moving average and the gains. */
    static final int BYTES_PER_WEIGHT = 12;

    private final int rows, cols;
    /** The gradient of this step, accumulated by the backward ({@code [rows × cols]}). */
    final float[] grad;
    private final float[] average;
    private final float[] gains;

    CodeUpdates(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.grad = new float[rows * cols];
        this.average = new float[rows * cols];
        this.gains = new float[rows * cols];
    }

    /**
     * Folds this step's gradient into the average, moves the {@code share} of the codes (−1/0/+1
     * floats, changed in place) that promise the most, and clears the gradient; returns how many moved.
     */
    int step(float[] codes, float[] scales, double share, int threads) {
        int n = rows * cols;
        Parallel.forRanges(rows, 16, threads, (from, to) -> {
            for (int i = from; i < to; i++)
                for (int j = i * cols, end = j + cols; j < end; j++) {
                    float a = MOMENTUM * average[j] + (1 - MOMENTUM) * grad[j];
                    average[j] = a;
                    grad[j] = 0f;
                    float g = scales[i] * a; // dL/dt_ij
                    // Down when the loss grows with t (and t can go down), up when it falls.
                    gains[j] = g > 0 ? (codes[j] > -1f ? g : 0f) : (codes[j] < 1f ? -g : 0f);
                }
        });
        int k = (int) Math.min(n, Math.round(share * n));
        if (k == 0) return 0;
        float threshold = kthLargest(gains, k);
        if (!(threshold > 0)) return 0;
        int[] moved = new int[1];
        // Strictly above the threshold, then ties at it in index order, k in all.
        for (int pass = 0; pass < 2 && moved[0] < k; pass++)
            for (int i = 0; i < rows && moved[0] < k; i++)
                for (int j = i * cols, end = j + cols; j < end && moved[0] < k; j++) {
                    float gain = gains[j];
                    if (pass == 0 ? gain > threshold : gain == threshold) {
                        codes[j] += scales[i] * average[j] > 0 ? -1f : 1f;
                        gains[j] = 0f;
                        moved[0]++;
                    }
                }
        return moved[0];
    }

    /** The k-th largest of {@code values} (a copy is partially sorted). */
    static float kthLargest(float[] values, int k) {
        float[] copy = values.clone();
        int lo = 0, hi = copy.length - 1, target = copy.length - k;
        java.util.SplittableRandom pivots = new java.util.SplittableRandom(copy.length);
        while (lo < hi) { // quickselect for the element at sorted position target
            float pivot = copy[lo + pivots.nextInt(hi - lo + 1)];
            int i = lo, j = hi;
            while (i <= j) {
                while (copy[i] < pivot) i++;
                while (copy[j] > pivot) j--;
                if (i <= j) {
                    float t = copy[i];
                    copy[i] = copy[j];
                    copy[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else break;
        }
        return copy[target];
    }

    /** The codes as bytes −1/0/+1, for packing. */
    static byte[] bytes(float[] codes) {
        byte[] t = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) t[i] = (byte) codes[i];
        return t;
    }
}
