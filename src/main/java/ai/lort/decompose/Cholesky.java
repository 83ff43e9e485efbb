package ai.lort.decompose;

import ai.lort.LortException;
import ai.lort.kernel.Gemm;
import java.util.Arrays;

/**
 * Cholesky factorization and triangular inversion of dense float matrices (row-major n × n), for
 * the calibrated decomposition's {@code H = L·Lᵀ} and {@code L⁻¹}. Blocked: small diagonal blocks
 * in double, nearly all the flops in {@link Gemm} products. Results do not depend on
 * {@code threads}, as the products' do not.
 */
public final class Cholesky {
    /** Block size of the factorization and of the triangular inverse. */
    static final int FACTOR_BLOCK = 128, INVERSE_BLOCK = 256;

    private Cholesky() {}

    /**
     * Replaces the symmetric positive-definite n × n matrix {@code a} (its lower triangle is read)
     * by its lower Cholesky factor L, {@code A = L·Lᵀ}; the strict upper triangle is set to 0.
     *
     * <p>Blocked right-looking: each diagonal block is factored in double, the panel below it is
     * solved by a product with the block's inverse, and the trailing lower triangle is updated by
     * one product, where nearly all the flops are.
     *
     * @throws LortException when A is not positive definite (callers damp A, so that means NaN or
     *                       Inf in the data it was computed from)
     */
    public static void factor(float[] a, int n, int threads) {
        int nb = Math.min(FACTOR_BLOCK, n);
        double[] block = new double[nb * nb];
        float[] blockInverse = new float[nb * nb];
        float[] panelT = new float[nb * Math.max(0, n - nb)]; // L21ᵀ, nb × (n - j1)
        for (int j0 = 0; j0 < n; j0 += nb) {
            int jb = Math.min(nb, n - j0), j1 = j0 + jb, rest = n - j1;
            copyLower(a, j0 * n + j0, n, block, jb);
            factorLower(block, jb, j0);
            copyToFloat(block, jb, a, j0 * n + j0, n);
            if (rest == 0) break;
            invertLower(block, jb);
            copyToFloat(block, jb, blockInverse, 0, jb);
            // L21ᵀ = L11⁻¹·A21ᵀ, kept transposed as the B operand of the update, and stored as L21.
            Gemm.gemm(false, true, jb, rest, jb, 1, blockInverse, 0, jb, a, j1 * n + j0, n, 0, panelT, 0, rest, threads);
            transpose(panelT, 0, rest, jb, rest, a, j1 * n + j0, n);
            Gemm.gemmLower(false, false, rest, jb, -1, a, j1 * n + j0, n, panelT, 0, rest, 1, a, j1 * n + j1, n, threads);
        }
        for (int i = 0; i < n; i++) Arrays.fill(a, i * n + i + 1, i * n + n, 0f);
    }

    /**
     * Replaces the invertible lower-triangular n × n matrix {@code l} by {@code L⁻¹} (lower
     * triangular too; the strict upper triangle of {@code l} is not read and is set to 0).
     *
     * <p>Blocked, from the last block column to the first: with the trailing part X22 = L22⁻¹
     * already in place, X11 = L11⁻¹ (in double) and X21 = −X22·L21·X11, where the product with
     * the triangular X22 skips its zero blocks.
     */
    public static void invertLower(float[] l, int n, int threads) {
        if (n == 0) return;
        for (int i = 0; i < n; i++) Arrays.fill(l, i * n + i + 1, i * n + n, 0f);
        int nb = Math.min(INVERSE_BLOCK, n);
        double[] block = new double[nb * nb];
        float[] product = new float[Math.max(0, n - nb) * nb]; // X22·L21, (n - j1) × nb
        for (int j0 = (n - 1) / nb * nb; j0 >= 0; j0 -= nb) {
            int jb = Math.min(nb, n - j0), j1 = j0 + jb, rest = n - j1;
            copyLower(l, j0 * n + j0, n, block, jb);
            invertLower(block, jb);
            copyToFloat(block, jb, l, j0 * n + j0, n);
            if (rest == 0) continue;
            Gemm.gemmLowerA(false, false, rest, jb, 1, l, j1 * n + j1, n, l, j1 * n + j0, n, 0, product, 0, jb, threads);
            Gemm.gemm(false, false, rest, jb, jb, -1, product, 0, jb, l, j0 * n + j0, n, 0, l, j1 * n + j0, n, threads);
        }
    }

    /** Lower triangle of the n × n block at {@code src[off]} (row stride ld) into a dense double n × n, upper zero. */
    private static void copyLower(float[] src, int off, int ld, double[] dst, int n) {
        Arrays.fill(dst, 0, n * n, 0);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) dst[i * n + j] = src[off + i * ld + j];
    }

    private static void copyToFloat(double[] src, int n, float[] dst, int off, int ld) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) dst[off + i * ld + j] = (float) src[i * n + j];
    }

    /** {@code dst = srcᵀ} for src of rows × cols, in 32 × 32 blocks to stay in cache. */
    private static void transpose(float[] src, int srcOff, int srcLd, int rows, int cols, float[] dst, int dstOff, int dstLd) {
        for (int i0 = 0; i0 < rows; i0 += 32)
            for (int j0 = 0; j0 < cols; j0 += 32)
                for (int i = i0, iEnd = Math.min(rows, i0 + 32); i < iEnd; i++)
                    for (int j = j0, jEnd = Math.min(cols, j0 + 32); j < jEnd; j++)
                        dst[dstOff + j * dstLd + i] = src[srcOff + i * srcLd + j];
    }

    /** Unblocked Cholesky of the dense n × n block in place (lower; upper stays 0); {@code col0} numbers columns in errors. */
    private static void factorLower(double[] a, int n, int col0) {
        for (int j = 0; j < n; j++) {
            int jo = j * n;
            double d = a[jo + j];
            for (int p = 0; p < j; p++) d -= a[jo + p] * a[jo + p];
            if (!(d > 0))
                throw new LortException("calibration Hessian is not positive definite at column " + (col0 + j) + " (pivot " + d + "); the activations hold NaN or Inf");
            double ljj = Math.sqrt(d);
            a[jo + j] = ljj;
            for (int i = j + 1; i < n; i++) {
                int io = i * n;
                double s = a[io + j];
                for (int p = 0; p < j; p++) s -= a[io + p] * a[jo + p];
                a[io + j] = s / ljj;
            }
        }
    }

    /**
     * Inverts the dense lower-triangular n × n block in place, row by row: row i of L⁻¹ needs row
     * i of L and the rows above it of L⁻¹, so rows are accumulated contiguously.
     */
    private static void invertLower(double[] x, int n) {
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            int io = i * n;
            Arrays.fill(row, 0, i, 0);
            for (int p = 0; p < i; p++) {
                double lip = x[io + p];
                for (int j = 0, po = p * n; j <= p; j++) row[j] += lip * x[po + j];
            }
            double inverseDiagonal = 1 / x[io + i];
            for (int j = 0; j < i; j++) x[io + j] = -row[j] * inverseDiagonal;
            x[io + i] = inverseDiagonal;
        }
    }
}
