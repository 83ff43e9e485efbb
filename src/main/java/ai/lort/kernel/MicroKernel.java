package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;

import jdk.incubator.vector.FloatVector;

/**
 * The register-blocked SGEMM micro-kernel (BLIS/GotoBLAS) behind every blocked float product: the
 * compressor's {@link Gemm} (calibration statistics, decomposition, Cholesky updates) and the
 * engine's packed product {@link DenseGemm} (prompt prefill, calibration forward passes). Both pack
 * their operands into the layouts below and cut k into slices of at most {@link #KC}; the kernel
 * adds one slice's {@code MR × NR} block of the product to C.
 *
 * <p>Operand layouts:
 * <ul>
 *   <li>A, an {@link #MR}-row panel: row i's kc values at {@code a[ao + i·PANEL_STRIDE ..]}, i.e.
 *       MR consecutive rows of a row-major matrix whose row stride is the constant
 *       {@link #PANEL_STRIDE}. The engine decodes weight rows straight into it ({@link PanelMatrix}
 *       keeps them so); {@link Gemm} copies op(A)'s rows into it.
 *   <li>B, an {@link #NR}-column micro-panel: column p's NR values together, at
 *       {@code b[bo + p·NR ..]}.
 *   <li>C: row i at {@code c[co + i·ldc ..]}, NR floats wide.
 * </ul>
 *
 * <p>Summation order: every C element is one lane of one accumulator that starts at 0, adds
 * {@code A[i][p]·B[p][j]} with one fused multiply-add per p in increasing order, and is then
 * added to C as {@code fma(acc, alpha, C)}. With {@code alpha = 1} that is exactly
 * {@code acc + C}. So a C element's bits depend only on the k slices it is cut into, never on
 * which thread, row block or tile computes it.
 */
final class MicroKernel {
    private MicroKernel() {}

    static final int VL = F.length();
    /**
     * Micro-tile: MR rows × NR columns of C, 24 vector accumulators, which with the two B vectors
     * and the broadcast A value fit AVX-512's 32 registers (this shape against others: bench/README.md).
     */
    static final int MR = 12, NR = 2 * VL;
    /** Deepest k slice: the MR-row panel of A (12 KB) stays in L1. */
    static final int KC = 256;
    /**
     * Row stride of the A panel: a constant, so that the kernel's 12 broadcasts are one index plus
     * fixed displacements; one cache line past KC, so that the 12 rows do not share L1 sets.
     */
    static final int PANEL_STRIDE = KC + 16;

    /**
     * {@code C[MR × NR] += alpha·(A·B)} over one k slice of {@code kc ≤ KC}: A the MR-row panel at
     * {@code a[ao]}, B the micro-panel at {@code b[bo]}, C at {@code c[co]} with row stride
     * {@code ldc} (layouts in the class comment). Each p broadcasts 12 values of A against 2
     * vectors of B into 24 accumulators.
     */
    static void multiply(int kc, float[] a, int ao, float[] b, int bo, float alpha, float[] c, int co, int ldc) {
        final int s = PANEL_STRIDE;
        FloatVector c000 = FloatVector.zero(F), c001 = FloatVector.zero(F), c010 = FloatVector.zero(F), c011 = FloatVector.zero(F), c020 = FloatVector.zero(F), c021 = FloatVector.zero(F),
                c030 = FloatVector.zero(F), c031 = FloatVector.zero(F), c040 = FloatVector.zero(F), c041 = FloatVector.zero(F), c050 = FloatVector.zero(F), c051 = FloatVector.zero(F),
                c060 = FloatVector.zero(F), c061 = FloatVector.zero(F), c070 = FloatVector.zero(F), c071 = FloatVector.zero(F), c080 = FloatVector.zero(F), c081 = FloatVector.zero(F),
                c090 = FloatVector.zero(F), c091 = FloatVector.zero(F), c100 = FloatVector.zero(F), c101 = FloatVector.zero(F), c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++) {
            // Indexed by p, as the broadcasts are, rather than by a second induction variable (bench/README.md).
            FloatVector b0 = FloatVector.fromArray(F, b, bo + p * NR), b1 = FloatVector.fromArray(F, b, bo + p * NR + VL);
            FloatVector x = FloatVector.broadcast(F, a[ao + p]);
            c000 = b0.fma(x, c000);
            c001 = b1.fma(x, c001);
            x = FloatVector.broadcast(F, a[ao + p + s]);
            c010 = b0.fma(x, c010);
            c011 = b1.fma(x, c011);
            x = FloatVector.broadcast(F, a[ao + p + 2 * s]);
            c020 = b0.fma(x, c020);
            c021 = b1.fma(x, c021);
            x = FloatVector.broadcast(F, a[ao + p + 3 * s]);
            c030 = b0.fma(x, c030);
            c031 = b1.fma(x, c031);
            x = FloatVector.broadcast(F, a[ao + p + 4 * s]);
            c040 = b0.fma(x, c040);
            c041 = b1.fma(x, c041);
            x = FloatVector.broadcast(F, a[ao + p + 5 * s]);
            c050 = b0.fma(x, c050);
            c051 = b1.fma(x, c051);
            x = FloatVector.broadcast(F, a[ao + p + 6 * s]);
            c060 = b0.fma(x, c060);
            c061 = b1.fma(x, c061);
            x = FloatVector.broadcast(F, a[ao + p + 7 * s]);
            c070 = b0.fma(x, c070);
            c071 = b1.fma(x, c071);
            x = FloatVector.broadcast(F, a[ao + p + 8 * s]);
            c080 = b0.fma(x, c080);
            c081 = b1.fma(x, c081);
            x = FloatVector.broadcast(F, a[ao + p + 9 * s]);
            c090 = b0.fma(x, c090);
            c091 = b1.fma(x, c091);
            x = FloatVector.broadcast(F, a[ao + p + 10 * s]);
            c100 = b0.fma(x, c100);
            c101 = b1.fma(x, c101);
            x = FloatVector.broadcast(F, a[ao + p + 11 * s]);
            c110 = b0.fma(x, c110);
            c111 = b1.fma(x, c111);
        }
        // Stores written out: a helper taking vectors can push C2 past its inlining limit, and the
        // vectors it then boxes make the kernel several times slower.
        FloatVector al = FloatVector.broadcast(F, alpha);
        c000.fma(al, FloatVector.fromArray(F, c, co)).intoArray(c, co);
        c001.fma(al, FloatVector.fromArray(F, c, co + VL)).intoArray(c, co + VL);
        c010.fma(al, FloatVector.fromArray(F, c, co + ldc)).intoArray(c, co + ldc);
        c011.fma(al, FloatVector.fromArray(F, c, co + ldc + VL)).intoArray(c, co + ldc + VL);
        c020.fma(al, FloatVector.fromArray(F, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
        c021.fma(al, FloatVector.fromArray(F, c, co + 2 * ldc + VL)).intoArray(c, co + 2 * ldc + VL);
        c030.fma(al, FloatVector.fromArray(F, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
        c031.fma(al, FloatVector.fromArray(F, c, co + 3 * ldc + VL)).intoArray(c, co + 3 * ldc + VL);
        c040.fma(al, FloatVector.fromArray(F, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
        c041.fma(al, FloatVector.fromArray(F, c, co + 4 * ldc + VL)).intoArray(c, co + 4 * ldc + VL);
        c050.fma(al, FloatVector.fromArray(F, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
        c051.fma(al, FloatVector.fromArray(F, c, co + 5 * ldc + VL)).intoArray(c, co + 5 * ldc + VL);
        c060.fma(al, FloatVector.fromArray(F, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
        c061.fma(al, FloatVector.fromArray(F, c, co + 6 * ldc + VL)).intoArray(c, co + 6 * ldc + VL);
        c070.fma(al, FloatVector.fromArray(F, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
        c071.fma(al, FloatVector.fromArray(F, c, co + 7 * ldc + VL)).intoArray(c, co + 7 * ldc + VL);
        c080.fma(al, FloatVector.fromArray(F, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
        c081.fma(al, FloatVector.fromArray(F, c, co + 8 * ldc + VL)).intoArray(c, co + 8 * ldc + VL);
        c090.fma(al, FloatVector.fromArray(F, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
        c091.fma(al, FloatVector.fromArray(F, c, co + 9 * ldc + VL)).intoArray(c, co + 9 * ldc + VL);
        c100.fma(al, FloatVector.fromArray(F, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
        c101.fma(al, FloatVector.fromArray(F, c, co + 10 * ldc + VL)).intoArray(c, co + 10 * ldc + VL);
        c110.fma(al, FloatVector.fromArray(F, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
        c111.fma(al, FloatVector.fromArray(F, c, co + 11 * ldc + VL)).intoArray(c, co + 11 * ldc + VL);
    }
}
