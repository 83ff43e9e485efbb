package ai.lort.decompose;

import ai.lort.LortException;

/**
 * Dense symmetric positive-definite algebra in double, on row-major n × n arrays: what the
 * calibrated decomposition needs of an input Hessian {@code H = XᵀX/N} (its Cholesky factor for
 * whitening, solves for the target correction, and the upper Cholesky factor of {@code H⁻¹} that
 * GPTQ-style rounding walks along).
 */
public final class Cholesky {
    private Cholesky() {}

    /**
     * Lower factor L with {@code H = L·Lᵀ}, in a new array (upper triangle zero). Throws when H is
     * not positive definite; callers damp H first, so that means broken activations (NaN, Inf).
     */
    public static double[] lower(double[] h, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            int io = i * n;
            for (int j = 0; j <= i; j++) {
                int jo = j * n;
                double s = h[io + j];
                for (int k = 0; k < j; k++) s -= l[io + k] * l[jo + k];
                if (i == j) {
                    if (!(s > 0)) throw new LortException("calibration Hessian is not positive definite at column " + i + " (pivot " + s + "); the activations hold NaN or Inf");
                    l[io + i] = Math.sqrt(s);
                } else {
                    l[io + j] = s / l[jo + j];
                }
            }
        }
        return l;
    }

    /** Solves {@code L·Lᵀ x = b} in place of {@code b} (forward then back substitution). */
    public static void solve(double[] l, int n, double[] b) {
        for (int i = 0; i < n; i++) {
            int io = i * n;
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[io + k] * b[k];
            b[i] = s / l[io + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /**
     * Replaces the row vector {@code a} by {@code a·L⁻¹} (solves {@code Lᵀ·xᵀ = aᵀ} by back substitution):
     * the unwhitening of a right factor fitted in the basis {@code X·L}.
     */
    public static void rightSolveLower(double[] l, int n, double[] a) {
        for (int i = n - 1; i >= 0; i--) {
            double s = a[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * a[k];
            a[i] = s / l[i * n + i];
        }
    }

    /** {@code H⁻¹} from the lower factor of H. */
    public static double[] inverse(double[] l, int n) {
        // Linv = L⁻¹ (lower), then H⁻¹ = Linvᵀ · Linv.
        double[] li = new double[n * n];
        for (int j = 0; j < n; j++) {
            li[j * n + j] = 1 / l[j * n + j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j];
                li[i * n + j] = s / l[i * n + i];
            }
        }
        double[] inv = new double[n * n];
        for (int k = 0; k < n; k++) {
            int ko = k * n;
            for (int i = 0; i <= k; i++) {
                double c = li[ko + i];
                if (c == 0) continue;
                int io = i * n;
                for (int j = 0; j <= i; j++) inv[io + j] += c * li[ko + j];
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j];
        return inv;
    }

    /** Upper factor U with {@code H⁻¹ = Uᵀ·U}, from the lower factor of H (GPTQ's {@code Hinv}). */
    public static double[] upperOfInverse(double[] l, int n) {
        double[] lowerOfInverse = lower(inverse(l, n), n);
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) u[j * n + i] = lowerOfInverse[i * n + j];
        return u;
    }
}
