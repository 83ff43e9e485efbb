package ai.lort.kernel;

/**
 * A batch of tokens packed once for the dense matrices' packed product ({@link DenseGemm}): the
 * caller packs it (its {@link #slices()} may be packed on different threads), then any number of
 * {@link Matrix#matmul(PackedBatch, float[][], int, int)} calls on any row ranges read it, so that
 * threads splitting one product, and products sharing one input (q/k/v, gate/up), pack it once.
 * Grown and reused: a caller keeps one.
 */
public final class PackedBatch {
    float[] data = new float[0];
    int n, padded, cols;

    /** Sizes the batch for {@code n} tokens of {@code cols} columns, to be packed next. */
    public void reset(int n, int cols) {
        if (n < DenseGemm.MIN_TOKENS) throw new IllegalArgumentException(n + " tokens, the packed product takes " + DenseGemm.MIN_TOKENS + " or more");
        this.n = n;
        this.cols = cols;
        this.padded = (n + MicroKernel.NR - 1) / MicroKernel.NR * MicroKernel.NR;
        if (data.length < padded * cols) data = new float[padded * cols];
    }

    /** Column slices, each packed independently. */
    public int slices() { return (cols + MicroKernel.KC - 1) / MicroKernel.KC; }

    /** Packs column slices {@code [from, to)} of the tokens {@code xs[0, n)}. */
    public void pack(float[][] xs, int from, int to) {
        for (int s = from; s < to; s++) DenseGemm.packSlice(xs, n, padded, cols, s * MicroKernel.KC, data);
    }

    public int tokens() { return n; }

    public int cols() { return cols; }

    /** Row granularity of the packed product: row ranges cut at multiples of it waste no padding rows. */
    public static int rowStep() { return MicroKernel.MR; }
}
