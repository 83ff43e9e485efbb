package ai.lort.decompose;

import ai.lort.util.Half;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Activation-aware decomposition {@code W ≈ diag(s)·T + B·A} (docs/ALGORITHM.md): instead of the
 * weights, it fits the layer's outputs on calibration inputs X, through their second moment
 * {@code H = XᵀX/N} (damped by {@link #DAMPING} of its mean diagonal).
 * <ol>
 *   <li>Target correction: with {@code C = X_fpᵀX/N} (original-model inputs against the
 *       compressed model's), {@code W' = W + β(W·C·H⁻¹ − W)}; β = 1 would reproduce the original
 *       outputs from the compressed inputs exactly if W' were stored as is, β &lt; 1 shrinks that
 *       least-squares step, which generalizes better from few calibration tokens.
 *   <li>Ternary codes: the best per-row fit, then GPTQ rounding column by column, each column's
 *       error pushed onto the later columns through the upper Cholesky factor of {@code H⁻¹};
 *       then per-row least-squares scales {@code s = tᵀHw / tᵀHt} and coordinate-descent sweeps
 *       on {@code ‖(w − s·t)X‖²}, refitting s after each.
 *   <li>Low-rank term: the rank-r SVD of the residual whitened by the Cholesky factor L of H
 *       ({@code (W' − sT)·L}), unwhitened by {@code L⁻¹}, alternating with step 2.
 * </ol>
 * Rows are independent in steps 2 and 3, so they are spread over threads; the result does not
 * depend on the thread count.
 */
public final class CalibratedDecomposer {
    /** Damping added to H's diagonal, as a fraction of its mean diagonal (GPTQ's default). */
    public static final double DAMPING = 0.01;

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
                         double weightError, double outputError, double ternaryOnlyOutputError) {}

    /**
     * @param w row-major m × n weights
     * @param h {@code XᵀX/N}, n × n row-major (not damped; left unchanged)
     * @param c {@code X_fpᵀX/N}, n × n, or null for no target correction
     */
    public static Result decompose(float[] w, int m, int n, double[] h, double[] c, Options o, long seed) {
        double[] hd = damped(h, n);
        double[] l = Cholesky.lower(hd, n);
        try (ForkJoinPool pool = o.threads() > 1 ? new ForkJoinPool(o.threads()) : null) {
            Rows rows = (count, body) -> {
                if (pool == null) for (int i = 0; i < count; i++) body.accept(i);
                else pool.submit(() -> IntStream.range(0, count).parallel().forEach(body)).join();
            };
            float[] target = o.beta() > 0 && c != null ? correctedTarget(w, m, n, c, l, o.beta(), rows) : w;
            double[] u = Cholesky.upperOfInverse(l, n);
            float[] scales = new float[m];
            byte[] t = new byte[m * n];
            fitTernary(target, m, n, hd, u, scales, t, o, rows);
            double ternaryOnly = outputError(w, m, n, h, scales, t, null, null, 0, rows);
            if (o.rank() == 0) {
                return new Result(m, n, 0, scales, t, new float[0], new float[0],
                        weightError(w, m, n, scales, t, null, null, 0), ternaryOnly, ternaryOnly);
            }
            // Alternate: low-rank fit of what the codes miss, codes refitted to what the low rank leaves.
            double best = objective(target, m, n, hd, scales, t, null, null, 0, rows);
            float[] bestScales = scales.clone(), bestA = new float[0], bestB = new float[0];
            byte[] bestT = t.clone();
            int bestRank = 0;
            float[] residual = new float[m * n];
            for (int it = 0; it < Math.max(1, o.alternations()); it++) {
                for (int i = 0; i < m; i++)
                    for (int j = 0, p = i * n; j < n; j++, p++) residual[p] = target[p] - scales[i] * t[p];
                float[][] ba = whitenedLowRank(residual, m, n, l, o.rank(), seed + it, rows);
                float[] b = ba[0], a = ba[1];
                int r = a.length / n;
                AlsDecomposer.subtractLowRank(target, m, n, b, a, r, residual);
                fitTernary(residual, m, n, hd, u, scales, t, o, rows);
                double obj = objective(target, m, n, hd, scales, t, b, a, r, rows);
                if (obj < best) {
                    best = obj;
                    bestScales = scales.clone();
                    bestT = t.clone();
                    bestA = a;
                    bestB = b;
                    bestRank = r;
                }
            }
            return new Result(m, n, bestRank, bestScales, bestT, bestA, bestB,
                    weightError(w, m, n, bestScales, bestT, bestB, bestA, bestRank),
                    outputError(w, m, n, h, bestScales, bestT, bestB, bestA, bestRank, rows), ternaryOnly);
        }
    }

    /** Runs {@code body} for rows [0, count), possibly in parallel. */
    private interface Rows {
        void each(int count, IntConsumer body);
    }

    /** H + damping·mean(diag H)·I; a dead input (zero diagonal) gets 1 so that H stays invertible. */
    static double[] damped(double[] h, int n) {
        double[] hd = h.clone();
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean /= n;
        double add = DAMPING * (mean > 0 ? mean : 1);
        for (int i = 0; i < n; i++) {
            if (hd[i * n + i] <= 0) hd[i * n + i] = 1;
            hd[i * n + i] += add;
        }
        return hd;
    }

    /** {@code W' = W + β(W·C·H⁻¹ − W)}, row by row ({@code H⁻¹} applied by Cholesky solves). */
    private static float[] correctedTarget(float[] w, int m, int n, double[] c, double[] l, double beta, Rows rows) {
        float[] out = new float[m * n];
        rows.each(m, i -> {
            double[] v = new double[n];
            for (int k = 0; k < n; k++) {
                double wk = w[i * n + k];
                if (wk == 0) continue;
                int ko = k * n;
                for (int j = 0; j < n; j++) v[j] += wk * c[ko + j];
            }
            Cholesky.solve(l, n, v); // v·H⁻¹ = (H⁻¹·vᵀ)ᵀ, H symmetric
            for (int j = 0; j < n; j++) out[i * n + j] = (float) (w[i * n + j] + beta * (v[j] - w[i * n + j]));
        });
        return out;
    }

    /** Fits codes and scales of every row of {@code r} under H (step 2 of the class comment). */
    static void fitTernary(float[] r, int m, int n, double[] h, double[] u, float[] scales, byte[] t, Options o, Rows rows) {
        rows.each(m, i -> scales[i] = fitRow(r, i * n, n, h, u, t, o));
    }

    private static float fitRow(float[] r, int off, int n, double[] h, double[] u, byte[] t, Options o) {
        float s0 = TernaryFit.fitRow(r, off, n, t, 0f, null);
        double[] w = new double[n];
        for (int j = 0; j < n; j++) w[j] = r[off + j];
        // GPTQ rounding with the weight-only scale: the error of column j is spread over the later
        // columns so that, under H, they compensate for it.
        if (s0 != 0) {
            double[] work = w.clone();
            double half = s0 / 2.0;
            for (int j = 0; j < n; j++) {
                double v = work[j];
                int q = v > half ? 1 : v < -half ? -1 : 0;
                t[off + j] = (byte) q;
                double e = (v - s0 * q) / u[j * n + j];
                if (e == 0) continue;
                int uo = j * n;
                for (int k = j + 1; k < n; k++) work[k] -= e * u[uo + k];
            }
        }
        // gw = H·w and gt = H·t; the row's error is wᵀHw − 2s·tᵀgw + s²·tᵀgt.
        double[] gw = new double[n], gt = new double[n];
        for (int k = 0; k < n; k++) {
            int ko = k * n;
            double sw = 0, st = 0;
            for (int j = 0; j < n; j++) {
                double hkj = h[ko + j];
                sw += hkj * w[j];
                st += hkj * t[off + j];
            }
            gw[k] = sw;
            gt[k] = st;
        }
        double s = scale(t, off, n, gw, gt, o.f16Scales());
        for (int sweep = 0; sweep < o.sweeps() && s != 0; sweep++) {
            int changed = 0;
            for (int j = 0; j < n; j++) {
                int cur = t[off + j];
                double hjj = h[j * n + j];
                int bestV = cur;
                double bestDelta = 0;
                for (int v = -1; v <= 1; v++) {
                    if (v == cur) continue;
                    int d = v - cur;
                    double delta = -2 * s * d * gw[j] + s * s * (2 * d * gt[j] + (double) d * d * hjj);
                    if (delta < bestDelta - 1e-12 * Math.abs(s * s * hjj)) {
                        bestDelta = delta;
                        bestV = v;
                    }
                }
                if (bestV != cur) {
                    int d = bestV - cur;
                    t[off + j] = (byte) bestV;
                    int jo = j * n;
                    for (int k = 0; k < n; k++) gt[k] += d * h[jo + k];
                    changed++;
                }
            }
            s = scale(t, off, n, gw, gt, o.f16Scales());
            if (changed == 0) break;
        }
        return (float) s;
    }

    /** Least-squares scale under H, {@code tᵀHw / tᵀHt} (0 for empty codes), rounded to f16 when stored so. */
    private static double scale(byte[] t, int off, int n, double[] gw, double[] gt, boolean f16) {
        double num = 0, den = 0;
        for (int j = 0; j < n; j++) {
            int q = t[off + j];
            if (q == 0) continue;
            num += q * gw[j];
            den += q * gt[j];
        }
        double s = den > 0 ? num / den : 0;
        return f16 ? Half.roundToHalf((float) s) : (float) s;
    }

    /**
     * Rank-r factors {b (m × r), a (r × n)} minimizing {@code ‖(E − B·A)X‖}: the truncated SVD of
     * {@code E·L} with {@code H = L·Lᵀ}, and {@code A = Ã·L⁻¹}. Rounded to FP16, as stored.
     */
    private static float[][] whitenedLowRank(float[] e, int m, int n, double[] l, int rank, long seed, Rows rows) {
        float[] el = new float[m * n];
        rows.each(m, i -> {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = j; k < n; k++) s += e[i * n + k] * l[k * n + j];
                el[i * n + j] = (float) s;
            }
        });
        RandomizedSvd.Factors f = new RandomizedSvd(m, n, rank, seed).compute(el, 2);
        int r = f.rank();
        float[] a = new float[r * n];
        double[] row = new double[n];
        for (int k = 0; k < r; k++) {
            for (int j = 0; j < n; j++) row[j] = f.a()[k * n + j];
            Cholesky.rightSolveLower(l, n, row);
            for (int j = 0; j < n; j++) a[k * n + j] = (float) row[j];
        }
        return new float[][] {Half.roundToHalf(f.b()), Half.roundToHalf(a)};
    }

    /** {@code Σ_i (x_i − ŵ_i)·H·(x_i − ŵ_i)ᵀ} with {@code Ŵ = diag(s)T + BA}. */
    private static double objective(float[] x, int m, int n, double[] h, float[] scales, byte[] t, float[] b, float[] a, int r, Rows rows) {
        double[] perRow = new double[m];
        rows.each(m, i -> {
            double[] d = new double[n];
            for (int j = 0; j < n; j++) {
                double v = x[i * n + j] - (double) scales[i] * t[i * n + j];
                for (int k = 0; k < r; k++) v -= (double) b[i * r + k] * a[k * n + j];
                d[j] = v;
            }
            perRow[i] = quadratic(h, n, d);
        });
        double sum = 0;
        for (double v : perRow) sum += v;
        return sum;
    }

    /** {@code ‖(W − Ŵ)X‖ / ‖WX‖} from H (undamped). */
    private static double outputError(float[] w, int m, int n, double[] h, float[] scales, byte[] t, float[] b, float[] a, int r, Rows rows) {
        double err = objective(w, m, n, h, scales, t, b, a, r, rows);
        double[] perRow = new double[m];
        rows.each(m, i -> {
            double[] d = new double[n];
            for (int j = 0; j < n; j++) d[j] = w[i * n + j];
            perRow[i] = quadratic(h, n, d);
        });
        double norm = 0;
        for (double v : perRow) norm += v;
        return norm > 0 ? Math.sqrt(err / norm) : 0;
    }

    private static double weightError(float[] w, int m, int n, float[] scales, byte[] t, float[] b, float[] a, int r) {
        double norm = Math.sqrt(AlsDecomposer.sumSquares(w));
        double err = AlsDecomposer.error(w, m, n, scales, t, b == null ? new float[0] : b, a == null ? new float[0] : a, r);
        return norm > 0 ? err / norm : 0;
    }

    /** {@code dᵀ·H·d}. */
    static double quadratic(double[] h, int n, double[] d) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double di = d[i];
            if (di == 0) continue;
            int io = i * n;
            double hi = 0;
            for (int j = 0; j < n; j++) hi += h[io + j] * d[j];
            s += di * hi;
        }
        return s;
    }

    /**
     * {@code ‖(W − Ŵ)X‖ / ‖WX‖} of any decomposition, from {@code H = XᵀX/N}: how the weight-only
     * method's output error is reported and compared.
     */
    public static double outputError(float[] w, int m, int n, double[] h, float[] scales, byte[] t, float[] b, float[] a, int r) {
        return outputError(w, m, n, h, scales, t, b, a, r, (count, body) -> { for (int i = 0; i < count; i++) body.accept(i); });
    }
}
