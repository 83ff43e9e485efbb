package ai.lort.kernel;

import static ai.lort.kernel.MicroKernel.KC;
import static ai.lort.kernel.MicroKernel.MR;
import static ai.lort.kernel.MicroKernel.NR;
import static ai.lort.kernel.MicroKernel.PANEL_STRIDE;
import static ai.lort.kernel.MicroKernel.VL;
import static ai.lort.kernel.VectorSpecs.F;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The batched product of the dense matrices for large batches ({@link #MIN_TOKENS} tokens and
 * more, e.g. calibration's 256), blocked as a BLIS/GotoBLAS sgemm: {@code Yᵀ = W·Xᵀ}, with the
 * weights as the broadcast operand (A) and the tokens along the vector lanes (B), summed by the
 * shared {@link MicroKernel}.
 *
 * <p>The tokens are packed once per product ({@link PackedBatch}: by the caller, shared by its
 * threads and by the matrices that read the same input, or else per call here), transposed into
 * {@link MicroKernel#KC}-deep slices of {@link MicroKernel#NR}-token micro-panels (one column's NR
 * values together: the kernel's B layout). Rows go in blocks of {@link #ROW_BLOCK}; within a
 * block, k slice by k slice, each {@link MicroKernel#MR} rows of the slice are decoded into a
 * float panel with the kernel's row stride (its A layout; 12 KB, stays in L1) and multiplied with
 * every token micro-panel of the slice (256 KB for 256 tokens, stays in L2): per column, 12 weight
 * broadcasts against 2 token vectors into 24 accumulators, 2 loads per 24 FMAs. Each weight is
 * decoded once per call. Sums land in a per-thread block of {@code Yᵀ}, copied out to the token
 * rows when the block is done.
 *
 * <p>Determinism: every (row, token) is one lane of one accumulator summing its slice's columns in
 * order, added to the running sum of the slices before it, slices cut at fixed columns (multiples
 * of KC from 0). Rows past the end of a block and tokens past n are zero padding that is computed
 * and dropped. So a result does not depend on the row range or where the row falls in a block,
 * and no lane sums are needed; and it has the bits of {@link Gemm#gemm} of the same floats
 * ({@code W·Xᵀ}, alpha 1, beta 0), which cuts k and sums it the same way.
 */
final class DenseGemm {
    private DenseGemm() {}

    /** Batches from this size take this path: below it the padding to {@link #NR} tokens costs too much. */
    static final int MIN_TOKENS = 32;
    /** Rows per block: the block's sums (192 × 256 tokens, 192 KB) stay in L2 beside the token slice. */
    static final int ROW_BLOCK = 16 * MR;

    /** Offsets of VL consecutive columns in a packed token micro-panel: the scatter of {@link #packSlice}. */
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
                    for (int t = 0; t < padded; t += NR) MicroKernel.multiply(kc, w, wo, tokens, p0 * padded + t * kc, 1f, sums, (r - r0) * ldc + t, ldc);
                }
            }
            copyOut(sums, ldc, ys, n, r0, r1);
        }
    }

    /**
     * {@code ys[t][r] = sums[(r - r0)·ldc + t]}. Scalar: a gather of VL rows per vector store was
     * slower (bench/README.md).
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
}
