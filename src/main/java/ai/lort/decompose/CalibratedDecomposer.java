package ai.lort.decompose;

import ai.lort.kernel.Gemm;
import ai.lort.util.Half;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activation-aware decomposition {@code W ≈ diag(s)·T + B·A} (docs/ALGORITHM.md): instead of the
 * weights, it fits the layer's outputs on calibration inputs X, through their second moment
 * {@code H = XᵀX/N} (damped by {@link #DAMPING} of its mean diagonal).
 * <ol>
 *   <li>Target correction: with {@code W·C = W·X_fpᵀX/N} (original-model inputs against the
 *       compressed model's), {@code W' = W + β(W·C·H⁻¹ − W)}; β = 1 would reproduce the original
 *       outputs from the compressed inputs exactly if W' were stored as is, β &lt; 1 shrinks that
 *       least-squares step, which generalizes better from few calibration tokens.
 *   <li>Ternary codes: the best per-row fit, then GPTQ rounding column by column, each column's
 *       error pushed onto the later columns through the upper Cholesky factor U of {@code H⁻¹}
 *       (in blocks of columns, the pushes past a block as one matrix product); then per-row
 *       least-squares scales {@code s = tᵀHw / tᵀHt} and coordinate-descent sweeps on
 *       {@code ‖(w − s·t)X‖²}, refitting s after each.
 *   <li>Low-rank term: the rank-r SVD of the residual whitened by R, {@code H = R·Rᵀ}
 *       ({@code (W' − sT)·R}), unwhitened by {@code R⁻¹ = U}, alternating with step 2.
 * </ol>
 * Everything that touches all of H is a {@link Gemm} matrix product: {@code W·H} once (then
 * {@code W'·H = (1 − β)·W·H + β·W·C} needs none), {@code T·H} once per ternary fit; errors come
 * from those products and row dot products.
 * Rows are independent in steps 2 and 3, so they are spread over threads; the result does not
 * depend on the thread count.
 *
 * <p>Over 400 lines on purpose: the steps above share the damped second moment, its Cholesky
 * factors and the rotated weights, and split across classes they would pass a dozen arrays.
 */
public final class CalibratedDecomposer {
    /** Damping added to H's diagonal, as a fraction of its mean diagonal (GPTQ's default). */
    public static final double DAMPING = 0.01;
    /** Columns per GPTQ block: the error pushes inside a block are row loops, those past it one product. */
    private static final int GPTQ_BLOCK = 128;
    /** Rows that run coordinate descent together: a row of H read for one row's change serves the others'. */
    private static final int CD_ROWS = 128;
    /**
     * Columns the rows of a coordinate-descent block go through before the next row: the block's
     * rows of H for them stay in L2, and each row reads its codes and sums in order. (Column by
     * column over all rows, the rows' sums, n floats apart, fell into a few L1 sets and missed.)
     */
    private static final int CD_COLUMNS = 16;
    /** Double lanes of {@link #firstChange}, and the codes and floats it widens to them. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final int DL = D.length();
    /** At least 64 bits (the narrowest shape): with fewer than 8 double lanes, only the first DL bytes are loaded. */
    private static final VectorSpecies<Byte> CD_BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, DL * 8)));
    private static final VectorMask<Byte> CD_BYTE_LANES = CD_BYTES.indexInRange(0, DL);
    private static final VectorSpecies<Float> CD_FLOATS = VectorSpecies.of(float.class, VectorShape.forBitSize(DL * 32));
    /** Float lanes: {@link #gptqRound}'s pushes start on a whole vector. */
    private static final int VL = FloatVector.SPECIES_PREFERRED.length();
    /** Output columns per product in {@link #timesUpper}: the narrower, the more of the zero half is skipped. */
    private static final int TRIANGLE_BLOCK = 256;

    private CalibratedDecomposer() {}

    /**
     * @param beta         target-correction strength (0 = fit W itself)
     * @param rank         rank of the low-rank term (0 = none)
     * @param alternations low-rank / ternary alternations when rank &gt; 0
     * @param sweeps       coordinate-descent sweeps per ternary step
     * @param f16Scales    round scales to float16 as they are fitted (the {@code row-f16} encoding)
     */
    public record Options(double beta, int rank, int alternations, int sweeps, boolean f16Scales, int threads) {}

    /**
     * A decomposed layer; {@code t} holds -1/0/+1 row-major, a/b (and scales with f16Scales) are
     * exactly what is stored. Errors are relative to the original W on the calibration inputs:
     * {@code outputError = ‖(W − Ŵ)X‖/‖WX‖}, {@code weightError = ‖W − Ŵ‖/‖W‖}.
     */
    public record Result(int rows, int cols, int rank, float[] scales, byte[] t, float[] a, float[] b,
                         double weightError, double outputError) {}

    /**
     * @param w  row-major m × n weights
     * @param h  {@code XᵀX/N}, n × n row-major; <b>damped in place</b> (the caller gives it up)
     * @param wc {@code W·C = W·X_fpᵀX/N}, m × n, or null for no target correction
     */
    public static Result decompose(float[] w, int m, int n, float[] h, float[] wc, Options o, long seed) {
        int threads = o.threads();
        float lambda = damp(h, n);
        Factors f = Factors.of(h, n, threads);
        try (ForkJoinPool pool = threads > 1 ? new ForkJoinPool(threads) : null) {
            Rows rows = (count, body) -> {
                if (pool == null) for (int i = 0; i < count; i++) body.accept(i);
                else pool.submit(() -> IntStream.range(0, count).parallel().forEach(body)).join();
            };
            float[] gw = product(w, m, n, h, threads), target = w, gTarget = gw;
            if (o.beta() > 0 && wc != null) {
                float beta = (float) o.beta();
                target = correctedTarget(w, m, n, wc, f.u, beta, threads);
                // W'·H = (1 − β)·W·H + β·W·C, from W' = W + β(W·C·H⁻¹ − W): no second m·n² product.
                gTarget = new float[m * n];
                for (int p = 0; p < gTarget.length; p++) gTarget[p] = (1 - beta) * gw[p] + beta * wc[p];
            }
            Energy e = new Energy(w, target, gTarget, gw, m, n, lambda);

            float[] scales = new float[m], gt = new float[m * n];
            byte[] t = new byte[m * n];
            if (o.rank() == 0) {
                double objective = fitTernary(target, gTarget, m, n, h, f.u, scales, t, gt, o, rows);
                return new Result(m, n, 0, scales, t, new float[0], new float[0], weightError(w, m, n, scales, t, null, null, 0),
                        e.outputError(objective, reconstruct(scales, t, null, null, 0, m, n, threads)));
            }
            // With a low-rank term, the first codes only shape the residual it fits: GPTQ rounding
            // alone (no T·H, no coordinate descent), the codes then refitted to what the low rank leaves.
            System.arraycopy(gptqRound(target, m, n, f.u, t, threads, rows), 0, scales, 0, m);
            double best = Double.POSITIVE_INFINITY;
            float[] bestScales = null, bestA = null, bestB = null;
            byte[] bestT = null;
            int bestRank = 0;
            float[] residual = new float[m * n], gResidual = new float[m * n];
            for (int it = 0; it < Math.max(1, o.alternations()); it++) {
                for (int i = 0; i < m; i++)
                    for (int j = 0, p = i * n; j < n; j++, p++) residual[p] = target[p] - scales[i] * t[p];
                float[][] ba = whitenedLowRank(residual, m, n, f, o.rank(), seed + it, threads);
                float[] b = ba[0], a = ba[1];
                int r = a.length / n;
                // residual = W' − B·A and its product with H, W'·H − B·(A·H), without another m·n² product.
                System.arraycopy(target, 0, residual, 0, m * n);
                Gemm.gemm(false, false, m, n, r, -1f, b, 0, r, a, 0, n, 1f, residual, 0, n, threads);
                float[] ah = product(a, r, n, h, threads);
                System.arraycopy(gTarget, 0, gResidual, 0, m * n);
                Gemm.gemm(false, false, m, n, r, -1f, b, 0, r, ah, 0, n, 1f, gResidual, 0, n, threads);
                double obj = fitTernary(residual, gResidual, m, n, h, f.u, scales, t, gt, o, rows);
                if (obj < best || bestT == null) {
                    best = obj;
                    bestScales = scales.clone();
                    bestT = t.clone();
                    bestA = a;
                    bestB = b;
                    bestRank = r;
                }
            }
            double outputError = e.outputError(best, reconstruct(bestScales, bestT, bestB, bestA, bestRank, m, n, threads));
            return new Result(m, n, bestRank, bestScales, bestT, bestA, bestB,
                    weightError(w, m, n, bestScales, bestT, bestB, bestA, bestRank), outputError);
        }
    }

    /** Runs {@code body} for rows [0, count), possibly in parallel. */
    private interface Rows {
        void each(int count, IntConsumer body);
    }

    /**
     * {@code H ← H + λ·I} with λ = {@link #DAMPING} × the mean diagonal (or DAMPING when that is
     * 0), which keeps H positive definite even with dead inputs; returns λ.
     */
    static float damp(float[] h, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean /= n;
        float lambda = (float) (DAMPING * (mean > 0 ? mean : 1));
        for (int i = 0; i < n; i++) h[i * n + i] += lambda;
        return lambda;
    }

    /**
     * The triangular factors of a damped H: R upper with {@code H = R·Rᵀ} (whitening), and
     * {@code U = R⁻¹}, upper, with {@code H⁻¹ = Uᵀ·U} (GPTQ's factor, and solves). Both come from
     * one Cholesky factorization of H with its rows and columns reversed: if
     * {@code J·H·J = L·Lᵀ} (J the reversal), then {@code R = J·L·J}, and {@code U = J·L⁻¹·J}; and
     * reversing both indices of a row-major square matrix is reversing its array.
     */
    record Factors(float[] r, float[] u) {
        static Factors of(float[] h, int n, int threads) {
            float[] l = reversed(h);
            Cholesky.factor(l, n, threads);
            float[] r = reversed(l);
            Cholesky.invertLower(l, n, threads);
            reverse(l);
            return new Factors(r, l);
        }

        private static float[] reversed(float[] a) {
            float[] out = a.clone();
            reverse(out);
            return out;
        }

        private static void reverse(float[] a) {
            for (int i = 0, j = a.length - 1; i < j; i++, j--) {
                float v = a[i];
                a[i] = a[j];
                a[j] = v;
            }
        }
    }

    /** {@code X·H} for X of rows × n. */
    private static float[] product(float[] x, int rows, int n, float[] h, int threads) {
        float[] out = new float[rows * n];
        Gemm.gemm(false, false, rows, n, n, 1f, x, 0, n, h, 0, n, 0f, out, 0, n, threads);
        return out;
    }

    /**
     * {@code out = X·U} (or {@code X·Uᵀ} when {@code transposed}) for X of m × n and U n × n upper
     * triangular, at half a full product's cost: the output goes in column blocks of
     * {@link #TRIANGLE_BLOCK}, each a product over only the rows of U (columns of Uᵀ) that are
     * not zero for it.
     */
    static void timesUpper(float[] x, int m, int n, float[] u, boolean transposed, float[] out, int threads) {
        for (int j0 = 0; j0 < n; j0 += TRIANGLE_BLOCK) {
            int j1 = Math.min(n, j0 + TRIANGLE_BLOCK);
            if (transposed) // column j of Uᵀ is row j of U: zero before column j
                Gemm.gemm(false, true, m, j1 - j0, n - j0, 1f, x, j0, n, u, j0 * n + j0, n, 0f, out, j0, n, threads);
            else // column j of U: zero below row j
                Gemm.gemm(false, false, m, j1 - j0, j1, 1f, x, 0, n, u, j0, n, 0f, out, j0, n, threads);
        }
    }

    /** {@code W' = W + β(W·C·H⁻¹ − W)} with {@code H⁻¹ = Uᵀ·U}. */
    private static float[] correctedTarget(float[] w, int m, int n, float[] wc, float[] u, float beta, int threads) {
        float[] wcUt = new float[m * n], out = new float[m * n];
        timesUpper(wc, m, n, u, true, wcUt, threads);
        timesUpper(wcUt, m, n, u, false, out, threads);
        for (int p = 0; p < out.length; p++) out[p] = w[p] + beta * (out[p] - w[p]);
        return out;
    }

    /**
     * Fits codes t and scales of every row of {@code r} under H (step 2 of the class comment),
     * given {@code gr = r·H}; leaves {@code gt = T·H} and returns the objective
     * {@code Σ_i (r_i − s_i·t_i)·H·(r_i − s_i·t_i)ᵀ}.
     */
    private static double fitTernary(float[] r, float[] gr, int m, int n, float[] h, float[] u,
                                     float[] scales, byte[] t, float[] gt, Options o, Rows rows) {
        gptqRound(r, m, n, u, t, o.threads(), rows);
        float[] codes = new float[m * n];
        for (int p = 0; p < codes.length; p++) codes[p] = t[p];
        Gemm.gemm(false, false, m, n, n, 1f, codes, 0, n, h, 0, n, 0f, gt, 0, n, o.threads());
        double[] perRow = new double[m];
        float[] diag = new float[n];
        for (int j = 0; j < n; j++) diag[j] = h[j * n + j];
        // Blocks of at most CD_ROWS rows, as many as a whole number of rounds of the threads (896
        // rows: 8 of 112, not 7 of 128 of which one thread would run 4); the rows being
        // independent, the cut does not change the result.
        int threads = Math.max(1, o.threads()), blocks = ((m + CD_ROWS - 1) / CD_ROWS + threads - 1) / threads * threads;
        int perBlock = (m + blocks - 1) / blocks;
        rows.each(blocks, b -> {
            int from = Math.min(m, b * perBlock), to = Math.min(m, from + perBlock);
            refineRows(t, gr, gt, from, to, n, h, diag, scales, o);
            for (int i = from; i < to; i++) perRow[i] = rowObjective(r, gr, t, gt, i * n, n, scales[i]);
        });
        double sum = 0;
        for (double v : perRow) sum += v;
        return sum;
    }

    /**
     * GPTQ rounding of every row of r into t: starting from the row's best weight-only ternary fit
     * (its scale sets the rounding thresholds), column j is rounded and its error, divided by
     * {@code U[j][j]}, is subtracted times {@code U[j][k]} from every later column k. Within a
     * block of {@link #GPTQ_BLOCK} columns this runs row by row; the pushes onto the columns past
     * the block are one product {@code E·U[block, rest]}. Returns the rows' rounding scales.
     */
    private static float[] gptqRound(float[] r, int m, int n, float[] u, byte[] t, int threads, Rows rows) {
        float[] s0 = new float[m];
        rows.each(m, i -> s0[i] = TernaryFit.fitRow(r, i * n, n, t, 0f, null));
        float[] work = r.clone();
        int bw = Math.min(GPTQ_BLOCK, n);
        float[] err = new float[m * bw];
        for (int start = 0; start < n; start += bw) {
            int j0 = start, j1 = Math.min(n, j0 + bw), width = j1 - j0;
            boolean whole = width % VL == 0;
            rows.each(m, i -> {
                int off = i * n;
                float s = s0[i], half = s / 2;
                for (int j = j0; j < j1; j++) {
                    if (s == 0) {
                        t[off + j] = 0;
                        err[i * bw + j - j0] = 0;
                        continue;
                    }
                    float v = work[off + j];
                    int q = v > half ? 1 : v < -half ? -1 : 0;
                    t[off + j] = (byte) q;
                    float e = (v - s * q) / u[j * n + j];
                    err[i * bw + j - j0] = e;
                    if (e != 0 && j + 1 < j1) {
                        // From the start of the vector holding column j + 1 when the block is whole
                        // vectors, so the push has no scalar tail: the columns before j + 1 in that
                        // vector are rounded already (U is zero left of its diagonal; work's column j is spent).
                        int c = whole ? j0 + (j + 1 - j0) / VL * VL : j + 1;
                        Linalg.axpy(-e, u, j * n + c, work, off + c, j1 - c);
                    }
                }
            });
            if (j1 < n) Gemm.gemm(false, false, m, n - j1, width, -1f, err, 0, bw, u, j0 * n + j1, n, 1f, work, j1, n, threads);
        }
        return s0;
    }

    /**
     * For rows [from, to): the least-squares scale of each row's codes, then coordinate-descent
     * sweeps: each code moves to the level that lowers {@code (r − s·t)·H·(r − s·t)ᵀ} most,
     * keeping {@code gt = t·H} current by a row of H per change, and s is refitted after each
     * sweep; a row stops when a sweep changes nothing. The rows go through the columns together,
     * {@link #CD_COLUMNS} at a time, so a row of H read for one row's change is still in cache for
     * the others' (the rows are independent: the result is as if each ran alone).
     */
    private static void refineRows(byte[] t, float[] gr, float[] gt, int from, int to, int n, float[] h, float[] diag,
                                   float[] scales, Options o) {
        int count = to - from;
        double[] s = new double[count];
        boolean[] active = new boolean[count];
        int[] changed = new int[count];
        for (int i = 0; i < count; i++) {
            s[i] = scale(t, (from + i) * n, n, gr, gt, o.f16Scales());
            active[i] = s[i] != 0;
        }
        for (int sweep = 0; sweep < o.sweeps(); sweep++) {
            java.util.Arrays.fill(changed, 0);
            for (int j0 = 0; j0 < n; j0 += CD_COLUMNS) {
                int j1 = Math.min(n, j0 + CD_COLUMNS);
                for (int i = 0; i < count; i++) {
                    if (!active[i]) continue;
                    int off = (from + i) * n;
                    double si = s[i];
                    for (int j = j0; j < j1; j++) {
                        if (j + DL <= j1) { // skip to the next column that changes, DL columns at a time
                            int k = firstChange(t, gr, gt, diag, off, j, si);
                            if (k == DL) {
                                j += DL - 1;
                                continue;
                            }
                            j += k;
                        }
                        int cur = t[off + j], bestV = bestLevel(cur, gr[off + j], gt[off + j], diag[j], si);
                        if (bestV != cur) {
                            t[off + j] = (byte) bestV;
                            Linalg.axpy(bestV - cur, h, j * n, gt, off, n);
                            changed[i]++;
                        }
                    }
                }
            }
            boolean any = false;
            for (int i = 0; i < count; i++) {
                if (!active[i]) continue;
                s[i] = scale(t, (from + i) * n, n, gr, gt, o.f16Scales());
                active[i] = changed[i] > 0 && s[i] != 0;
                any |= active[i];
            }
            if (!any) break;
        }
        for (int i = 0; i < count; i++) scales[from + i] = (float) s[i];
    }

    /**
     * The level in {-1, 0, +1} that lowers the row's {@code (r − s·t)·H·(r − s·t)ᵀ} most when code
     * {@code cur} moves, given the column's {@code r·H} and {@code t·H} entries and H's diagonal
     * entry; cur when no move lowers it by more than a relative 1e-9 (ties: the lower level).
     */
    static int bestLevel(int cur, float gr, float gt, double hjj, double si) {
        int bestV = cur;
        double bestDelta = 0;
        for (int v = -1; v <= 1; v++) {
            if (v == cur) continue;
            int d = v - cur;
            double delta = -2 * si * d * gr + si * si * (2 * d * gt + (double) d * d * hjj);
            if (delta < bestDelta - 1e-9 * Math.abs(si * si * hjj)) {
                bestDelta = delta;
                bestV = v;
            }
        }
        return bestV;
    }

    /**
     * The first of columns {@code [j, j + DL)} of the row at {@code off} where {@link #refineRows}
     * would move the code, or DL for none: {@link #bestLevel}'s test for DL columns at once, in
     * double lanes, each its expression's operations in its order (the two other levels in its
     * loop's order, lower first), so the lanes decide as it does.
     */
    static int firstChange(byte[] t, float[] gr, float[] gt, float[] diag, int off, int j, double si) {
        ByteVector codes = CD_BYTES.length() == DL ? ByteVector.fromArray(CD_BYTES, t, off + j) : ByteVector.fromArray(CD_BYTES, t, off + j, CD_BYTE_LANES);
        DoubleVector cur = (DoubleVector) codes.convertShape(VectorOperators.B2D, D, 0);
        DoubleVector g = (DoubleVector) FloatVector.fromArray(CD_FLOATS, gr, off + j).convertShape(VectorOperators.F2D, D, 0);
        DoubleVector gtj = (DoubleVector) FloatVector.fromArray(CD_FLOATS, gt, off + j).convertShape(VectorOperators.F2D, D, 0);
        DoubleVector hjj = (DoubleVector) FloatVector.fromArray(CD_FLOATS, diag, j).convertShape(VectorOperators.F2D, D, 0);
        VectorMask<Double> low = cur.compare(VectorOperators.EQ, -1), high = cur.compare(VectorOperators.EQ, 1);
        // Lower other level minus cur: 1 from -1, else -1 - cur; higher: -1 from 1, else 1 - cur.
        DoubleVector dA = cur.neg().sub(1).blend(1, low), dB = cur.neg().add(1).blend(-1, high);
        double m2s = -2 * si, ss = si * si;
        DoubleVector threshold = hjj.mul(ss).abs().mul(1e-9);
        DoubleVector deltaA = dA.mul(m2s).mul(g).add(dA.mul(2).mul(gtj).add(dA.mul(dA).mul(hjj)).mul(ss));
        DoubleVector deltaB = dB.mul(m2s).mul(g).add(dB.mul(2).mul(gtj).add(dB.mul(dB).mul(hjj)).mul(ss));
        VectorMask<Double> takeA = deltaA.compare(VectorOperators.LT, threshold.neg());
        DoubleVector best = DoubleVector.zero(D).blend(deltaA, takeA);
        VectorMask<Double> takeB = deltaB.compare(VectorOperators.LT, best.sub(threshold));
        return takeA.or(takeB).firstTrue();
    }

    /** Least-squares scale under H, {@code tᵀHr / tᵀHt} (0 for empty codes), rounded to f16 when stored so. */
    private static double scale(byte[] t, int off, int n, float[] gr, float[] gt, boolean f16) {
        double num = 0, den = 0;
        for (int j = 0; j < n; j++) {
            int q = t[off + j];
            if (q == 0) continue;
            num += q * gr[off + j];
            den += q * gt[off + j];
        }
        double s = den > 0 ? num / den : 0;
        return f16 ? Half.roundToHalf((float) s) : (float) s;
    }

    /** {@code (r − s·t)·H·(r − s·t)ᵀ = r·gr − 2s·t·gr + s²·t·gt} of one row. */
    private static double rowObjective(float[] r, float[] gr, byte[] t, float[] gt, int off, int n, float s) {
        double rr = 0, tr = 0, tt = 0;
        for (int j = off; j < off + n; j++) {
            rr += (double) r[j] * gr[j];
            int q = t[j];
            if (q != 0) {
                tr += q * gr[j];
                tt += q * gt[j];
            }
        }
        return rr - 2.0 * s * tr + (double) s * s * tt;
    }

    /**
     * Rank-r factors {b (m × r), a (r × n)} minimizing {@code ‖(E − B·A)X‖}: the truncated SVD of
     * {@code E·R} with {@code H = R·Rᵀ}, and {@code A = Ã·R⁻¹ = Ã·U}. Rounded to FP16, as stored.
     */
    private static float[][] whitenedLowRank(float[] e, int m, int n, Factors f, int rank, long seed, int threads) {
        float[] er = new float[m * n];
        timesUpper(e, m, n, f.r, false, er, threads);
        RandomizedSvd.Factors svd = new RandomizedSvd(m, n, rank, seed, threads).compute(er, 2);
        int r = svd.rank();
        float[] a = new float[r * n];
        timesUpper(svd.a(), r, n, f.u, false, a, threads);
        return new float[][] {Half.roundToHalf(svd.b()), Half.roundToHalf(a)};
    }

    /** {@code Ŵ = diag(s)·T + B·A}, m × n. */
    private static float[] reconstruct(float[] scales, byte[] t, float[] b, float[] a, int r, int m, int n, int threads) {
        float[] out = new float[m * n];
        if (r > 0) Gemm.gemm(false, false, m, n, r, 1f, b, 0, r, a, 0, n, 0f, out, 0, n, threads);
        for (int i = 0; i < m; i++)
            for (int j = 0, p = i * n; j < n; j++, p++) out[p] += scales[i] * t[p];
        return out;
    }

    /**
     * Output errors {@code ‖(W − Ŵ)X‖/‖WX‖} from quantities the fit already has. With the damped
     * {@code H_d = H + λI}: {@code ‖D‖²_H = ‖D‖²_{H_d} − λ‖D‖²}, and
     * {@code ‖W − Ŵ‖²_{H_d} = ‖W‖² − 2⟨W, Ŵ⟩ + ‖Ŵ‖²}, where the fit's objective
     * {@code ‖W' − Ŵ‖²} gives {@code ‖Ŵ‖² = objective − ‖W'‖² + 2⟨W', Ŵ⟩}; the inner products
     * are row dots with {@code W·H_d} and {@code W'·H_d}.
     */
    private static final class Energy {
        private final float[] w, target, gTarget, gw;
        private final int m, n;
        private final float lambda;
        private final double targetNorm, wNorm, wNormDamped;

        Energy(float[] w, float[] target, float[] gTarget, float[] gw, int m, int n, float lambda) {
            this.w = w;
            this.target = target;
            this.gTarget = gTarget;
            this.gw = gw;
            this.m = m;
            this.n = n;
            this.lambda = lambda;
            this.targetNorm = dot(target, gTarget);
            this.wNormDamped = dot(w, gw);
            this.wNorm = wNormDamped - lambda * dot(w, w);
        }

        double outputError(double objective, float[] what) {
            // ⟨x, Ŵ⟩ with x·H given: Σ Ŵ·(x·H) (H symmetric).
            double whatNorm = objective - targetNorm + 2 * dot(what, gTarget);
            double err = wNormDamped - 2 * dot(what, gw) + whatNorm;
            double diff = 0;
            for (int p = 0; p < m * n; p++) {
                double d = w[p] - what[p];
                diff += d * d;
            }
            err -= lambda * diff;
            return wNorm > 0 ? Math.sqrt(Math.max(0, err) / wNorm) : 0;
        }

        private static double dot(float[] a, float[] b) {
            double s = 0;
            for (int p = 0; p < a.length; p++) s += (double) a[p] * b[p];
            return s;
        }
    }

    private static double weightError(float[] w, int m, int n, float[] scales, byte[] t, float[] b, float[] a, int r) {
        double norm = Math.sqrt(AlsDecomposer.sumSquares(w));
        double err = AlsDecomposer.error(w, m, n, scales, t, b == null ? new float[0] : b, a == null ? new float[0] : a, r);
        return norm > 0 ? err / norm : 0;
    }

    /**
     * {@code ‖(W − Ŵ)X‖ / ‖WX‖} of any decomposition, from {@code H = XᵀX/N} (n × n, undamped):
     * how the weight-only method's output error is reported and compared.
     */
    public static double outputError(float[] w, int m, int n, float[] h, float[] scales, byte[] t, float[] b, float[] a, int r, int threads) {
        float[] d = reconstruct(scales, t, b, a, r, m, n, threads);
        for (int p = 0; p < d.length; p++) d[p] = w[p] - d[p];
        double err = Energy.dot(d, product(d, m, n, h, threads)), norm = Energy.dot(w, product(w, m, n, h, threads));
        return norm > 0 ? Math.sqrt(Math.max(0, err) / norm) : 0;
    }
}
