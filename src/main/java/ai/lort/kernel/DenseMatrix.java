package ai.lort.kernel;

/**
 * The dense weight formats: each decodes any piece of a row to floats ({@link #decodeRow}), and
 * that is all the batched products need from it: below {@link DenseGemm#MIN_TOKENS} tokens the
 * 2 × 8 tile ({@link DenseBatch}), from there the packed product ({@link DenseGemm}), which reads
 * a {@link PanelMatrix}'s panels in place. Each format keeps its own matvec kernel.
 */
abstract sealed class DenseMatrix implements Matrix permits F32Matrix, F16Matrix, Bf16Matrix, PanelMatrix, GroupQuantMatrix {
    final int rows, cols;
    /** {@link #decodeRow} as the products take it. */
    final DenseBatch.RowDecoder rowDecoder = this::decodeRow;

    DenseMatrix(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** Columns {@code [from, to)} of row {@code row} as floats into {@code out[at ..]}. */
    abstract void decodeRow(int row, int from, int to, float[] out, int at);

    /**
     * 2 to {@link DenseBatch#TOKENS} − 1 tokens (a few sequences decoded together), each with the
     * bits of its own {@link #matvec}: by default each token's matvec over blocks of rows that stay
     * in L2; formats whose decoding costs more than the multiply-adds decode once for all tokens.
     */
    void matmulFew(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        DenseBatch.perToken(this, xs, ys, n, rowFrom, rowTo);
    }

    @Override public final int rows() { return rows; }
    @Override public final int cols() { return cols; }

    @Override
    public final void matmul(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        DenseBatch.matmul(this, xs, ys, n, rowFrom, rowTo);
    }

    @Override
    public final boolean takesPacked(int n) { return n >= DenseGemm.MIN_TOKENS; }

    @Override
    public final void matmul(PackedBatch xs, float[][] ys, int rowFrom, int rowTo) {
        if (xs.cols() != cols) throw new IllegalArgumentException(xs.cols() + " columns packed, the matrix has " + cols);
        DenseGemm.matmul(this, xs, ys, rowFrom, rowTo);
    }
}
