package ai.lort.heal;

import ai.lort.util.Parallel;

/**
 * Moves ternary codes of one layer, PV-tuning style, inside a trust region. With G the gradient of
 * the loss with respect to the layer's dense weight {@code diag(s)·T} (in its rotated basis),
 * changing code {@code t_ij} by ±1 changes the loss by about {@code ±s_i·G_ij}; that first-order
 * prediction holds for one move at a time (measured on stories15M: within 5 % of the actual change).
 *
 * <p>It does not hold for many moves together: the codes a gradient favours cluster in a few rows
 * and, with a Hadamard rotation, in the columns of one rotation block, where their effects on the
 * row's output add up. So each row offers at most one move per step (its best), the caller takes
 * the best offers over all layers only while their predicted decreases sum to a set share of the
 * loss ({@link #select}), and a row that moved forgets its averaged gradient, which described the
 * row before the move.
 *
 * <p>G is averaged over steps (an exponential moving average) so that one batch's noise does not
 * flip codes back and forth.
 */
final class CodeUpdates {
    /** Weight of the past in the moving average of the gradient. */
    static final float MOMENTUM = 0.9f;
    /** Heap per weight of the layer: this step's gradient and its moving average. */
    static final int BYTES_PER_WEIGHT = 8;

    private final int rows, cols;
    /** The gradient of this step, accumulated by the backward ({@code [rows × cols]}). */
    final float[] grad;
    private final float[] average;

    CodeUpdates(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.grad = new float[rows * cols];
        this.average = new float[rows * cols];
    }

    int rows() { return rows; }

    /**
     * Folds this step's gradient into the average and clears it; then, per row, the move that
     * promises the largest decrease: its gain {@code s_i·|avg G_ij|} into {@code gain[at + i]} (0 when
     * no code of the row can move downhill) and its column into {@code column[at + i]}.
     */
    void offers(byte[] codes, float[] scales, float[] gain, int[] column, int at, int threads) {
        Parallel.forRanges(rows, 16, threads, (from, to) -> {
            for (int i = from; i < to; i++) {
                float best = 0f;
                int bestColumn = -1;
                for (int j = i * cols, end = j + cols; j < end; j++) {
                    float a = MOMENTUM * average[j] + (1 - MOMENTUM) * grad[j];
                    average[j] = a;
                    grad[j] = 0f;
                    float g = scales[i] * a; // dL/dt_ij
                    // Down when the loss grows with t (and t can go down), up when it falls.
                    float promise = g > 0 ? (codes[j] > -1 ? g : 0f) : (codes[j] < 1 ? -g : 0f);
                    if (promise > best) {
                        best = promise;
                        bestColumn = j - i * cols;
                    }
                }
                gain[at + i] = best;
                column[at + i] = bestColumn;
            }
        });
    }

    /** Moves code (row, column) one level downhill and clears the row's averaged gradient. */
    void move(int row, int column, byte[] codes, float[] scales) {
        int j = row * cols + column;
        codes[j] += (byte) (scales[row] * average[j] > 0 ? -1 : 1);
        java.util.Arrays.fill(average, row * cols, (row + 1) * cols, 0f);
    }

    /**
     * How many of {@code gains} (sorted in descending order) to take: the longest prefix of
     * positive gains whose sum stays at most {@code budget}.
     */
    static int select(float[] sortedGains, int n, double budget) {
        double sum = 0;
        int k = 0;
        while (k < n && sortedGains[k] > 0 && sum + sortedGains[k] <= budget) sum += sortedGains[k++];
        return k;
    }
}
