package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;

import jdk.incubator.vector.FloatVector;

/**
 * The batched product of the dense matrices ({@link Matrix#matmul}) for batches of up to 31 tokens
 * (prompt prefill); larger ones go to {@link DenseGemm}. A matvec per token is bound by
 * loads: every multiply-add loads a weight and an input. Here each tile keeps 2 rows × 8 tokens of
 * accumulators in registers, so a weight vector, loaded (and decoded) once, serves 8 tokens and an
 * input vector serves 2 rows: 10 loads per 16 FMAs instead of 32.
 *
 * <p>Blocking: rows in blocks of about {@link #ROW_BLOCK_BYTES} of weights (they stay in L2 while
 * every token group uses them); within a block, columns in slices of {@link #COL_BLOCK}, so that
 * the 8 input rows of a slice (16 KB) stay in L1 while every row pair uses them. The matrix decodes
 * a row pair's slice into a float panel once per token group; one float kernel serves every format.
 *
 * <p>Determinism: every (row, token) is one vector accumulator carried over all whole vectors of
 * the row in column order (parked in scratch between slices), then {@link Lanes#sum}, then the
 * leftover columns in order. That sequence is the same wherever the row falls in a block or a
 * thread's range (a lone last row runs as a pair with itself), so the thread split cannot change a
 * result. Tokens past the last whole group of 8 go through the matrix's matvec, also per row.
 */
final class DenseBatch {
    private DenseBatch() {}

    /** Decodes {@code W[row][from, to)} to floats at {@code out[at ..]}. */
    @FunctionalInterface
    interface RowDecoder {
        void decode(int row, int from, int to, float[] out, int at);
    }

    /** Tokens per tile: 16 accumulators, 2 weight vectors and an input vector fit in 32 registers. */
    static final int TOKENS = 8;
    /** Columns per slice: 8 input rows of floats take 16 KB of L1; a multiple of any vector length. */
    static final int COL_BLOCK = 512;
    private static final long ROW_BLOCK_BYTES = 256 << 10;
    private static final int LANES = F.length();

    /** Per-thread panel (a row pair's slice, decoded) and the accumulators parked between slices. */
    private static final class Scratch {
        final float[] panel = new float[2 * COL_BLOCK];
        float[] acc = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void matmul(DenseMatrix m, float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        if (n >= DenseGemm.MIN_TOKENS) {
            DenseGemm.matmul(m, xs, ys, n, rowFrom, rowTo);
            return;
        }
        if (n > 1 && n < TOKENS) {
            // A few sequences decoded together: their bits are each token's matvec's.
            m.matmulFew(xs, ys, n, rowFrom, rowTo);
            return;
        }
        RowDecoder rows = m.rowDecoder;
        int rowBlock = rowBlock(m);
        int grouped = n - n % TOKENS;
        Scratch s = SCRATCH.get();
        if (grouped > 0 && s.acc.length < rowBlock * TOKENS * LANES) s.acc = new float[rowBlock * TOKENS * LANES];
        for (int r0 = rowFrom; r0 < rowTo; r0 += rowBlock) {
            int r1 = Math.min(rowTo, r0 + rowBlock);
            for (int t0 = 0; t0 < grouped; t0 += TOKENS) tokenGroup(rows, m.cols(), xs, ys, t0, r0, r1, s);
            for (int t = grouped; t < n; t++) m.matvec(xs[t], ys[t], r0, r1);
        }
    }

    /** Rows whose weights take about {@link #ROW_BLOCK_BYTES}: they stay in L2 while every token uses them (an even count). */
    static int rowBlock(DenseMatrix m) {
        long rowBytes = m.weightBytes() / m.rows();
        return (int) Math.max(2, ROW_BLOCK_BYTES / Math.max(1, rowBytes)) & ~1;
    }

    /** Each token's matvec, a block of rows at a time, so that the tokens after the first read the block from L2. */
    static void perToken(DenseMatrix m, float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        int rowBlock = rowBlock(m);
        for (int r0 = rowFrom; r0 < rowTo; r0 += rowBlock) {
            int r1 = Math.min(rowTo, r0 + rowBlock);
            for (int t = 0; t < n; t++) m.matvec(xs[t], ys[t], r0, r1);
        }
    }

    /** Tokens {@code [t0, t0 + 8)} × rows {@code [r0, r1)}. */
    private static void tokenGroup(RowDecoder rows, int cols, float[][] xs, float[][] ys, int t0, int r0, int r1, Scratch s) {
        int wholeEnd = cols - cols % LANES;
        float[] panel = s.panel, acc = s.acc;
        for (int c0 = 0; c0 < cols; c0 += COL_BLOCK) {
            int c1 = Math.min(cols, c0 + COL_BLOCK);
            for (int r = r0; r < r1; r += 2) {
                boolean pair = r + 1 < r1;
                rows.decode(r, c0, c1, panel, 0);
                if (pair) rows.decode(r + 1, c0, c1, panel, COL_BLOCK);
                int at = (r - r0) * TOKENS * LANES;
                tile(panel, pair ? COL_BLOCK : 0, Math.min(c1, wholeEnd) - c0, xs, t0, c0, acc, at, c0 == 0);
                if (c1 == cols) {
                    finish(panel, 0, c0, wholeEnd, cols, xs, ys, t0, r, acc, at);
                    if (pair) finish(panel, COL_BLOCK, c0, wholeEnd, cols, xs, ys, t0, r + 1, acc, at + TOKENS * LANES);
                }
            }
        }
    }

    /**
     * Carries the 16 accumulators at {@code acc[at ..]} (row a's 8 tokens, then row b's; zero when
     * {@code fresh}) over {@code length} columns from {@code c0}: row a's weights at
     * {@code panel[0 ..]}, row b's at {@code panel[b ..]}, the inputs at {@code xs[t0 + j][c0 ..]}.
     */
    private static void tile(float[] panel, int b, int length, float[][] xs, int t0, int c0, float[] acc, int at, boolean fresh) {
        float[] x0 = xs[t0], x1 = xs[t0 + 1], x2 = xs[t0 + 2], x3 = xs[t0 + 3], x4 = xs[t0 + 4], x5 = xs[t0 + 5], x6 = xs[t0 + 6], x7 = xs[t0 + 7];
        FloatVector a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        if (fresh) {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = FloatVector.zero(F);
        } else {
            int l = LANES;
            a0 = FloatVector.fromArray(F, acc, at);
            a1 = FloatVector.fromArray(F, acc, at + l);
            a2 = FloatVector.fromArray(F, acc, at + 2 * l);
            a3 = FloatVector.fromArray(F, acc, at + 3 * l);
            a4 = FloatVector.fromArray(F, acc, at + 4 * l);
            a5 = FloatVector.fromArray(F, acc, at + 5 * l);
            a6 = FloatVector.fromArray(F, acc, at + 6 * l);
            a7 = FloatVector.fromArray(F, acc, at + 7 * l);
            b0 = FloatVector.fromArray(F, acc, at + 8 * l);
            b1 = FloatVector.fromArray(F, acc, at + 9 * l);
            b2 = FloatVector.fromArray(F, acc, at + 10 * l);
            b3 = FloatVector.fromArray(F, acc, at + 11 * l);
            b4 = FloatVector.fromArray(F, acc, at + 12 * l);
            b5 = FloatVector.fromArray(F, acc, at + 13 * l);
            b6 = FloatVector.fromArray(F, acc, at + 14 * l);
            b7 = FloatVector.fromArray(F, acc, at + 15 * l);
        }
        for (int i = 0; i < length; i += LANES) {
            FloatVector wa = FloatVector.fromArray(F, panel, i), wb = FloatVector.fromArray(F, panel, b + i);
            int c = c0 + i;
            FloatVector x = FloatVector.fromArray(F, x0, c);
            a0 = wa.fma(x, a0);
            b0 = wb.fma(x, b0);
            x = FloatVector.fromArray(F, x1, c);
            a1 = wa.fma(x, a1);
            b1 = wb.fma(x, b1);
            x = FloatVector.fromArray(F, x2, c);
            a2 = wa.fma(x, a2);
            b2 = wb.fma(x, b2);
            x = FloatVector.fromArray(F, x3, c);
            a3 = wa.fma(x, a3);
            b3 = wb.fma(x, b3);
            x = FloatVector.fromArray(F, x4, c);
            a4 = wa.fma(x, a4);
            b4 = wb.fma(x, b4);
            x = FloatVector.fromArray(F, x5, c);
            a5 = wa.fma(x, a5);
            b5 = wb.fma(x, b5);
            x = FloatVector.fromArray(F, x6, c);
            a6 = wa.fma(x, a6);
            b6 = wb.fma(x, b6);
            x = FloatVector.fromArray(F, x7, c);
            a7 = wa.fma(x, a7);
            b7 = wb.fma(x, b7);
        }
        int l = LANES;
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + l);
        a2.intoArray(acc, at + 2 * l);
        a3.intoArray(acc, at + 3 * l);
        a4.intoArray(acc, at + 4 * l);
        a5.intoArray(acc, at + 5 * l);
        a6.intoArray(acc, at + 6 * l);
        a7.intoArray(acc, at + 7 * l);
        b0.intoArray(acc, at + 8 * l);
        b1.intoArray(acc, at + 9 * l);
        b2.intoArray(acc, at + 10 * l);
        b3.intoArray(acc, at + 11 * l);
        b4.intoArray(acc, at + 12 * l);
        b5.intoArray(acc, at + 13 * l);
        b6.intoArray(acc, at + 14 * l);
        b7.intoArray(acc, at + 15 * l);
    }

    /**
     * Row {@code r}'s results for the 8 tokens: the lane sums of its accumulators at
     * {@code acc[at ..]} plus the columns {@code [wholeEnd, cols)} past the last whole vector, whose
     * weights are in the last slice's panel (from column {@code c0}) at {@code panel[p ..]}.
     */
    private static void finish(float[] panel, int p, int c0, int wholeEnd, int cols, float[][] xs, float[][] ys, int t0, int r, float[] acc, int at) {
        for (int j = 0; j < TOKENS; j++) {
            float[] x = xs[t0 + j];
            float sum = Lanes.sum(FloatVector.fromArray(F, acc, at + j * LANES));
            for (int c = wholeEnd; c < cols; c++) sum += panel[p + c - c0] * x[c];
            ys[t0 + j][r] = sum;
        }
    }
}
