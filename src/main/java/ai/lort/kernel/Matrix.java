package ai.lort.kernel;

/**
 * A weight matrix W of shape rows × cols (out × in, as {@code torch.nn.Linear} stores it) that
 * multiplies activations. One implementation per weight format (F32, F16, BF16, packed ternary +
 * low rank, ...), each owning its Vector API kernel with a scalar reference beside it.
 *
 * <p>Callers split rows across threads; implementations must be safe to call concurrently on
 * disjoint row ranges and must not allocate in {@link #matvec} or {@link #matmul} (per-thread
 * scratch grown once is fine). Give each thread one large range: a call may pay a per-call setup
 * of about cols × (8 + rank) ({@link TernaryLowRankMatrix}).
 * Call {@link Matrices#warmUp()} once at start-up, or the first matvecs run interpreted.
 */
public interface Matrix {
    int rows();

    int cols();

    /** {@code y[r] = Σ_c W[r][c] · x[c]} for {@code r} in {@code [rowFrom, rowTo)}. */
    void matvec(float[] x, float[] y, int rowFrom, int rowTo);

    /**
     * {@code ys[t][r] = Σ_c W[r][c] · xs[t][c]} for {@code t < n} and {@code r} in
     * {@code [rowFrom, rowTo)}: a batch of tokens (prompt prefill, calibration), with the same
     * contract as {@link #matvec}. A result may differ from matvec's in the last bits but must not
     * depend on the row range, so that how the caller splits rows across threads cannot change it.
     *
     * <p>This default runs matvec per token over blocks of rows small enough to stay in a core's L2
     * while every token of the batch uses them; the dense matrices override it with kernels that
     * load each weight once for several tokens.
     */
    default void matmul(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        long blockBytes = 256 << 10;
        int block = (int) Math.max(16, blockBytes / Math.max(1, weightBytes() / rows()));
        for (int r = rowFrom; r < rowTo; r += block) {
            int end = Math.min(rowTo, r + block);
            for (int t = 0; t < n; t++) matvec(xs[t], ys[t], r, end);
        }
    }

    /**
     * Whether {@link #matmul(PackedBatch, float[][], int, int)} takes a batch of {@code n} tokens
     * (the dense matrices from {@link PackedBatch}'s minimum on).
     */
    default boolean takesPacked(int n) { return false; }

    /**
     * {@link #matmul(float[][], float[][], int, int, int)} on tokens the caller packed once
     * (shared by threads and by matrices with the same input), with the same bits.
     */
    default void matmul(PackedBatch xs, float[][] ys, int rowFrom, int rowTo) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " takes no packed batches");
    }

    /** Bytes of weights read by one full matvec (for bandwidth reports). */
    long weightBytes();
}
