package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The batched product of the dense matrices for large batches ({@link #MIN_TOKENS} tokens and
 * more, e.g. calibration's 256), blocked as a BLIS/GotoBLAS sgemm: {@code Yᵀ = W·Xᵀ}, with the
 * weights as the broadcast operand and the tokens along the vector lanes.
 *
 * <p>The tokens are packed once per product ({@link PackedBatch}: by the caller, shared by its
 * threads and by the matrices that read the same input, or else per call here), transposed into {@link #KC}-deep slices of
 * {@link #NR}-token micro-panels (one column's NR values together). Rows go in blocks of
 * {@link #ROW_BLOCK}; within a block, k slice by k slice, each {@link #MR} rows of the slice are
 * decoded into a float panel (12 KB, stays in L1) and multiplied with every token micro-panel of
 * the slice (256 KB for 256 tokens, stays in L2) by the register-blocked {@link #kernel}: per
 * column, 12 weight broadcasts against 2 token vectors into 24 accumulators, 2 loads per 24 FMAs.
 * Each weight is decoded once per call. Sums land in a per-thread block of {@code Yᵀ}, copied out
 * to the token rows when the block is done.
 *
 * <p>Determinism: every (row, token) is one lane of one accumulator summing its slice's columns in
 * order, added to the running sum of the slices before it, slices cut at fixed columns (multiples
 * of KC from 0). Rows past the end of a block and tokens past n are zero padding that is computed
 * and dropped. So a result does not depend on the row range or where the row falls in a block,
 * and no lane sums are needed.
 */
final class DenseGemm {
    private DenseGemm() {}

    /** Batches from this size take this path: below it the padding to {@link #NR} tokens costs too much. */
    static final int MIN_TOKENS = 32;
    private static final int VL = F.length();
    /** Micro-tile: MR rows × NR tokens, 24 accumulators + 2 token vectors + 1 broadcast of 32 registers. */
    static final int MR = 12, NR = 2 * VL;
    /** Columns per k slice: the MR × KC weight panel stays in L1. */
    static final int KC = 256;
    /**
     * Row stride of the decoded weight panel: a constant, so that the kernel's 12 broadcasts are
     * one index plus fixed offsets; one cache line past KC, so that the rows do not share L1 sets.
     */
    static final int PANEL_STRIDE = KC + 16;
    /** Rows per block: the block's sums (192 × 256 tokens, 192 KB) stay in L2 beside the token slice. */
    static final int ROW_BLOCK = 16 * MR;

    /** Offsets of VL consecutive columns in a packed token micro-panel: the scatter of {@link #packTokens}. */
    private static final int[] PANEL_COLUMNS = new int[VL];

    static {
        for (int i = 0; i < VL; i++) PANEL_COLUMNS[i] = i * NR;
    }

    /** Per-thread packed tokens (when the caller packs none), decoded weight panel and the block's sums, grown once. */
    private static final class Scratch {
        final float[] panel = new float[MR * PANEL_STRIDE];
        final PackedBatch batch = new PackedBatch();
        float[] sums = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** {@code ys[t][r] = Σ_c W[r][c]·xs[t][c]} for {@code t < n} (at least {@link #MIN_TOKENS}), {@code r} in {@code [rowFrom, rowTo)}. */
    static void matmul(DenseMatrix m, float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        Scratch s = SCRATCH.get();
        PackedBatch b = s.batch;
        b.reset(n, m.cols);
        b.pack(xs, 0, b.slices());
        matmul(m, b, ys, rowFrom, rowTo);
    }

    /**
     * As above with the tokens already packed (by any thread). A {@link PanelMatrix}'s panels of
     * MR rows starting at a multiple of MR are read in place; every other panel is decoded.
     */
    static void matmul(DenseMatrix m, PackedBatch b, float[][] ys, int rowFrom, int rowTo) {
        DenseBatch.RowDecoder rows = m.rowDecoder;
        PanelMatrix panels = m instanceof PanelMatrix p ? p : null;
        int n = b.n, padded = b.padded, cols = b.cols;
        // Row stride of the sums: one cache line past the tokens, or with 256 tokens rows 1 KB
        // apart would share a quarter of L1's sets (the copy out read them 16 times from L2).
        int ldc = padded + 16;
        Scratch s = SCRATCH.get();
        if (s.sums.length < ROW_BLOCK * ldc) s.sums = new float[ROW_BLOCK * ldc];
        float[] tokens = b.data, panel = s.panel, sums = s.sums;
        for (int r0 = rowFrom; r0 < rowTo; r0 += ROW_BLOCK) {
            int r1 = Math.min(rowTo, r0 + ROW_BLOCK);
            Arrays.fill(sums, 0, ROW_BLOCK * ldc, 0f);
            for (int p0 = 0; p0 < cols; p0 += KC) {
                int kc = Math.min(KC, cols - p0);
                for (int r = r0; r < r1; r += MR) {
                    float[] w = panel;
                    int wo = 0;
                    if (panels != null && r % MR == 0) {
                        w = panels.panels;
                        wo = panels.panelOffset(r / MR, p0 / KC);
                    } else {
                        int mr = Math.min(MR, r1 - r);
                        for (int i = 0; i < mr; i++) rows.decode(r + i, p0, p0 + kc, panel, i * PANEL_STRIDE);
                        for (int i = mr; i < MR; i++) Arrays.fill(panel, i * PANEL_STRIDE, i * PANEL_STRIDE + kc, 0f);
                    }
                    for (int t = 0; t < padded; t += NR) kernel(kc, w, wo, tokens, p0 * padded + t * kc, sums, (r - r0) * ldc + t, ldc);
                }
            }
            copyOut(sums, ldc, ys, n, r0, r1);
        }
    }

    /**
     * {@code ys[t][r] = sums[(r - r0)·ldc + t]}. Scalar: gathering VL rows into one vector store
     * measured slower.
     */
    private static void copyOut(float[] sums, int ldc, float[][] ys, int n, int r0, int r1) {
        for (int t = 0; t < n; t++) {
            float[] y = ys[t];
            for (int r = r0; r < r1; r++) y[r] = sums[(r - r0) * ldc + t];
        }
    }

    /**
     * Transposes the tokens' slice of columns {@code [p0, p0 + kc)} into {@code dst}, at
     * {@code p0·padded}, in it the micro-panel of tokens {@code [t, t + NR)} at {@code t·kc}, in
     * that column p's NR values at {@code (p - p0)·NR}. Tokens from n to {@code padded} are zero.
     * A token's VL columns at a time are scattered NR apart; the 16 KB a token writes in one
     * micro-panel stay in L1 for the next tokens.
     */
    static void packSlice(float[][] xs, int n, int padded, int cols, int p0, float[] dst) {
        int kc = Math.min(KC, cols - p0), whole = kc / VL * VL;
        for (int t0 = 0; t0 < padded; t0 += NR) {
            int d = p0 * padded + t0 * kc;
            for (int j = 0; j < NR; j++) {
                if (t0 + j >= n) {
                    for (int p = 0; p < kc; p++) dst[d + p * NR + j] = 0f;
                    continue;
                }
                float[] x = xs[t0 + j];
                int p = 0;
                for (; p < whole; p += VL) FloatVector.fromArray(F, x, p0 + p).intoArray(dst, d + p * NR + j, PANEL_COLUMNS, 0);
                for (; p < kc; p++) dst[d + p * NR + j] = x[p0 + p];
            }
        }
    }

    /**
     * The micro-kernel: {@code C[MR × NR] += W·X} over one k slice of {@code kc} columns, W the
     * weight panel (row i at {@code w[wo + i·PANEL_STRIDE]}), X a packed token micro-panel at
     * {@code x[xo ..]}, C at {@code c[co ..]} with row stride {@code ldc}. Each column broadcasts 12
     * weights against 2 token vectors; every accumulator sums the columns in order.
     */
    private static void kernel(int kc, float[] w, int wo, float[] x, int xo, float[] c, int co, int ldc) {
        final int s = PANEL_STRIDE;
        FloatVector c000 = FloatVector.zero(F), c001 = FloatVector.zero(F), c010 = FloatVector.zero(F), c011 = FloatVector.zero(F), c020 = FloatVector.zero(F), c021 = FloatVector.zero(F),
                c030 = FloatVector.zero(F), c031 = FloatVector.zero(F), c040 = FloatVector.zero(F), c041 = FloatVector.zero(F), c050 = FloatVector.zero(F), c051 = FloatVector.zero(F),
                c060 = FloatVector.zero(F), c061 = FloatVector.zero(F), c070 = FloatVector.zero(F), c071 = FloatVector.zero(F), c080 = FloatVector.zero(F), c081 = FloatVector.zero(F),
                c090 = FloatVector.zero(F), c091 = FloatVector.zero(F), c100 = FloatVector.zero(F), c101 = FloatVector.zero(F), c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            // Indexed by p, as the broadcasts are, rather than by a second induction variable: measured a little faster.
            FloatVector x0 = FloatVector.fromArray(F, x, xo + p * NR), x1 = FloatVector.fromArray(F, x, xo + p * NR + VL);
            FloatVector b = FloatVector.broadcast(F, w[wo + p]);
            c000 = x0.fma(b, c000);
            c001 = x1.fma(b, c001);
            b = FloatVector.broadcast(F, w[wo + p + s]);
            c010 = x0.fma(b, c010);
            c011 = x1.fma(b, c011);
            b = FloatVector.broadcast(F, w[wo + p + 2 * s]);
            c020 = x0.fma(b, c020);
            c021 = x1.fma(b, c021);
            b = FloatVector.broadcast(F, w[wo + p + 3 * s]);
            c030 = x0.fma(b, c030);
            c031 = x1.fma(b, c031);
            b = FloatVector.broadcast(F, w[wo + p + 4 * s]);
            c040 = x0.fma(b, c040);
            c041 = x1.fma(b, c041);
            b = FloatVector.broadcast(F, w[wo + p + 5 * s]);
            c050 = x0.fma(b, c050);
            c051 = x1.fma(b, c051);
            b = FloatVector.broadcast(F, w[wo + p + 6 * s]);
            c060 = x0.fma(b, c060);
            c061 = x1.fma(b, c061);
            b = FloatVector.broadcast(F, w[wo + p + 7 * s]);
            c070 = x0.fma(b, c070);
            c071 = x1.fma(b, c071);
            b = FloatVector.broadcast(F, w[wo + p + 8 * s]);
            c080 = x0.fma(b, c080);
            c081 = x1.fma(b, c081);
            b = FloatVector.broadcast(F, w[wo + p + 9 * s]);
            c090 = x0.fma(b, c090);
            c091 = x1.fma(b, c091);
            b = FloatVector.broadcast(F, w[wo + p + 10 * s]);
            c100 = x0.fma(b, c100);
            c101 = x1.fma(b, c101);
            b = FloatVector.broadcast(F, w[wo + p + 11 * s]);
            c110 = x0.fma(b, c110);
            c111 = x1.fma(b, c111);
        }
        // Written out: a helper taking vectors can push C2 past its inlining limit, and then it boxes them.
        c000.add(FloatVector.fromArray(F, c, co)).intoArray(c, co);
        c001.add(FloatVector.fromArray(F, c, co + VL)).intoArray(c, co + VL);
        c010.add(FloatVector.fromArray(F, c, co + ldc)).intoArray(c, co + ldc);
        c011.add(FloatVector.fromArray(F, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
        c020.add(FloatVector.fromArray(F, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c021.add(FloatVector.fromArray(F, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
        c030.add(FloatVector.fromArray(F, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c031.add(FloatVector.fromArray(F, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
        c040.add(FloatVector.fromArray(F, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c041.add(FloatVector.fromArray(F, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
        c050.add(FloatVector.fromArray(F, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
        c051.add(FloatVector.fromArray(F, c, co + 5 * ldc + VL)).intoArray(c, co + 5 * ldc + VL);
        c060.add(FloatVector.fromArray(F, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
        c061.add(FloatVector.fromArray(F, c, co + 6 * ldc + VL)).intoArray(c, co + 6 * ldc + VL);
        c070.add(FloatVector.fromArray(F, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        c071.add(FloatVector.fromArray(F, c, co + 7 * ldc + VL)).intoArray(c, co + 7 * ldc + VL);
        c080.add(FloatVector.fromArray(F, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
        c081.add(FloatVector.fromArray(F, c, co + 8 * ldc + VL)).intoArray(c, co + 8 * ldc + VL);
        c090.add(FloatVector.fromArray(F, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
        c091.add(FloatVector.fromArray(F, c, co + 9 * ldc + VL)).intoArray(c, co + 9 * ldc + VL);
        c100.add(FloatVector.fromArray(F, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
        c101.add(FloatVector.fromArray(F, c, co + 10 * ldc + VL)).intoArray(c, co + 10 * ldc + VL);
        c110.add(FloatVector.fromArray(F, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
        c111.add(FloatVector.fromArray(F, c, co + 11 * ldc + VL)).intoArray(c, co + 11 * ldc + VL);
    }
}
