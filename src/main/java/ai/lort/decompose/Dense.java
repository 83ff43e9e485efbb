package ai.lort.decompose;

import ai.lort.LortException;

/**
 * Dense float linear algebra on row-major arrays, for the calibrated decomposition and the
 * calibration statistics: matrix products (BLAS {@code sgemm}, {@code ssyrk}), Cholesky
 * factorization and triangular inversion. Results do not depend on {@code threads}: every output
 * element is summed in one fixed order.
 *
 * <p>Matrices are addressed BLAS-style: element (i, j) of a row-major matrix stored at offset
 * {@code off} with leading dimension {@code ld} (the row stride, ≥ its column count) is
 * {@code x[off + i·ld + j]}.
 */
public final class Dense {
    private Dense() {}

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} with {@code op(X) = X} or {@code Xᵀ}; op(A) is m × k,
     * op(B) is k × n, C is m × n. With {@code beta == 0}, C's previous contents are ignored (NaN
     * included).
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, int threads) {
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                if (aip == 0f) continue;
                if (transB) for (int j = 0; j < n; j++) row[j] += aip * b[bOff + j * ldb + p];
                else for (int j = 0, bo = bOff + p * ldb; j < n; j++) row[j] += aip * b[bo + j];
            }
            int co = cOff + i * ldc;
            if (beta == 0f) for (int j = 0; j < n; j++) c[co + j] = alpha * row[j];
            else for (int j = 0; j < n; j++) c[co + j] = alpha * row[j] + beta * c[co + j];
        }
    }

    /**
     * {@code C = alpha·AᵀA + beta·C} for A of k × n (rows are samples: {@code AᵀA} is their Gram
     * matrix, n × n, symmetric); both triangles of C are written.
     */
    public static void syrk(int n, int k, float alpha, float[] a, int aOff, int lda, float beta, float[] c, int cOff, int ldc, int threads) {
        gemm(true, false, n, n, k, alpha, a, aOff, lda, a, aOff, lda, beta, c, cOff, ldc, threads);
    }

    /**
     * Replaces the symmetric positive-definite n × n matrix {@code a} (its lower triangle is read)
     * by its lower Cholesky factor L, {@code A = L·Lᵀ}; the strict upper triangle is set to 0.
     *
     * @throws LortException when A is not positive definite (callers damp A, so that means NaN or
     *                       Inf in the data it was computed from)
     */
    public static void cholesky(float[] a, int n, int threads) {
        for (int j = 0; j < n; j++) {
            int jo = j * n;
            double d = a[jo + j];
            for (int p = 0; p < j; p++) d -= (double) a[jo + p] * a[jo + p];
            if (!(d > 0))
                throw new LortException("calibration Hessian is not positive definite at column " + j + " (pivot " + d + "); the activations hold NaN or Inf");
            float ljj = (float) Math.sqrt(d);
            a[jo + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                int io = i * n;
                double s = a[io + j];
                for (int p = 0; p < j; p++) s -= (double) a[io + p] * a[jo + p];
                a[io + j] = (float) (s / ljj);
            }
        }
        for (int i = 0; i < n; i++) java.util.Arrays.fill(a, i * n + i + 1, i * n + n, 0f);
    }

    /** Replaces the invertible lower-triangular n × n matrix {@code l} by {@code L⁻¹} (lower triangular too). */
    public static void invertLower(float[] l, int n, int threads) {
        float[] inv = new float[n * n];
        for (int j = 0; j < n; j++) {
            inv[j * n + j] = 1 / l[j * n + j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int p = j; p < i; p++) s -= (double) l[i * n + p] * inv[p * n + j];
                inv[i * n + j] = (float) (s / l[i * n + i]);
            }
        }
        System.arraycopy(inv, 0, l, 0, n * n);
    }
}
