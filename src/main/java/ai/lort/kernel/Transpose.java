package ai.lort.kernel;

import static ai.lort.kernel.MicroKernel.PANEL_STRIDE;
import static ai.lort.kernel.MicroKernel.VL;
import static ai.lort.kernel.VectorSpecs.F;

import jdk.incubator.vector.FloatVector;

/**
 * Transposes a block of a row-major matrix into the {@link MicroKernel}'s A layout: {@link Gemm}
 * packs a transposed op(A) with it, whose rows are columns of A, so one p's values of all the
 * block's rows lie together in A and each goes to a different row of the panel.
 *
 * <p>VL × VL blocks are transposed in registers (VL loads of VL consecutive rows, log₂ VL stages
 * of two-vector selects, VL stores along the panel rows): scattering each p's values to the panel
 * rows, or copying single values, took several times as long and made a transposed product
 * measurably slower (bench/README.md). The selects are written out for 16 and 8 lanes, as a loop
 * over an array of vectors would box them. What fills no whole block, and other lane counts, are
 * copied one value at a time.
 */
final class Transpose {
    private Transpose() {}

    /**
     * Lane indices of the stages' selects ({@code selectFrom(x, y)} reads index i &lt; VL from x,
     * else i − VL from y), two per stage for the pairs of vectors h = 1, 2, 4 … apart: {@code lo}
     * takes, in lane l, x[l] where bit h of l is clear, else y[l ^ h]; {@code hi} takes x[l ^ h]
     * where it is clear, else y[l]. After all stages output vector l holds lane l of every input
     * vector, in input order.
     */
    private static final float[] SELECT = new float[2 * Integer.numberOfTrailingZeros(VL) * VL];

    static {
        for (int st = 0, h = 1; h < VL; h <<= 1, st++)
            for (int l = 0; l < VL; l++) {
                SELECT[2 * st * VL + l] = (l & h) == 0 ? l : VL + (l ^ h);
                SELECT[(2 * st + 1) * VL + l] = (l & h) == 0 ? l ^ h : VL + l;
            }
    }

    /**
     * {@code dst[r·PANEL_STRIDE + p] = src[off + p·ld + r]} for r &lt; rows, p &lt; kc: the
     * kc × rows block of {@code src} at {@code off} (row stride {@code ld}), transposed into
     * rows of the panel layout.
     */
    static void toPanels(float[] src, int off, int ld, int rows, int kc, float[] dst) {
        if (VL == 16) blocks16(src, off, ld, rows, kc, dst);
        else if (VL == 8) blocks8(src, off, ld, rows, kc, dst);
        int whole = VL == 16 || VL == 8 ? rows / VL * VL : 0, wholeKc = whole == 0 ? 0 : kc / VL * VL;
        for (int p = 0; p < kc; p++) {
            int s = off + p * ld;
            for (int r = p < wholeKc ? whole : 0; r < rows; r++) dst[r * PANEL_STRIDE + p] = src[s + r];
        }
    }

    /** {@link #toPanels} for 16 lanes: blocks of 16 p × 16 rows, 16 loads, 4 stages of 16 two-vector selects, 16 stores. */
    private static void blocks16(float[] src, int off, int ld, int rows, int kc, float[] dst) {
        FloatVector lo0 = FloatVector.fromArray(F, SELECT, 0 * VL), hi0 = FloatVector.fromArray(F, SELECT, 1 * VL), lo1 = FloatVector.fromArray(F, SELECT, 2 * VL), hi1 = FloatVector.fromArray(F, SELECT, 3 * VL),
                lo2 = FloatVector.fromArray(F, SELECT, 4 * VL), hi2 = FloatVector.fromArray(F, SELECT, 5 * VL), lo3 = FloatVector.fromArray(F, SELECT, 6 * VL), hi3 = FloatVector.fromArray(F, SELECT, 7 * VL);
        for (int r0 = 0; r0 + VL <= rows; r0 += VL)
            for (int p0 = 0; p0 + VL <= kc; p0 += VL) {
                int in = off + p0 * ld + r0, out = r0 * PANEL_STRIDE + p0;
                FloatVector v0 = FloatVector.fromArray(F, src, in), v1 = FloatVector.fromArray(F, src, in + 1 * ld), v2 = FloatVector.fromArray(F, src, in + 2 * ld), v3 = FloatVector.fromArray(F, src, in + 3 * ld),
                        v4 = FloatVector.fromArray(F, src, in + 4 * ld), v5 = FloatVector.fromArray(F, src, in + 5 * ld), v6 = FloatVector.fromArray(F, src, in + 6 * ld), v7 = FloatVector.fromArray(F, src, in + 7 * ld),
                        v8 = FloatVector.fromArray(F, src, in + 8 * ld), v9 = FloatVector.fromArray(F, src, in + 9 * ld), v10 = FloatVector.fromArray(F, src, in + 10 * ld), v11 = FloatVector.fromArray(F, src, in + 11 * ld),
                        v12 = FloatVector.fromArray(F, src, in + 12 * ld), v13 = FloatVector.fromArray(F, src, in + 13 * ld), v14 = FloatVector.fromArray(F, src, in + 14 * ld), v15 = FloatVector.fromArray(F, src, in + 15 * ld);
                FloatVector a0 = lo0.selectFrom(v0, v1), a1 = hi0.selectFrom(v0, v1), a2 = lo0.selectFrom(v2, v3), a3 = hi0.selectFrom(v2, v3),
                        a4 = lo0.selectFrom(v4, v5), a5 = hi0.selectFrom(v4, v5), a6 = lo0.selectFrom(v6, v7), a7 = hi0.selectFrom(v6, v7),
                        a8 = lo0.selectFrom(v8, v9), a9 = hi0.selectFrom(v8, v9), a10 = lo0.selectFrom(v10, v11), a11 = hi0.selectFrom(v10, v11),
                        a12 = lo0.selectFrom(v12, v13), a13 = hi0.selectFrom(v12, v13), a14 = lo0.selectFrom(v14, v15), a15 = hi0.selectFrom(v14, v15);
                FloatVector b0 = lo1.selectFrom(a0, a2), b2 = hi1.selectFrom(a0, a2), b1 = lo1.selectFrom(a1, a3), b3 = hi1.selectFrom(a1, a3),
                        b4 = lo1.selectFrom(a4, a6), b6 = hi1.selectFrom(a4, a6), b5 = lo1.selectFrom(a5, a7), b7 = hi1.selectFrom(a5, a7),
                        b8 = lo1.selectFrom(a8, a10), b10 = hi1.selectFrom(a8, a10), b9 = lo1.selectFrom(a9, a11), b11 = hi1.selectFrom(a9, a11),
                        b12 = lo1.selectFrom(a12, a14), b14 = hi1.selectFrom(a12, a14), b13 = lo1.selectFrom(a13, a15), b15 = hi1.selectFrom(a13, a15);
                FloatVector c0 = lo2.selectFrom(b0, b4), c4 = hi2.selectFrom(b0, b4), c1 = lo2.selectFrom(b1, b5), c5 = hi2.selectFrom(b1, b5),
                        c2 = lo2.selectFrom(b2, b6), c6 = hi2.selectFrom(b2, b6), c3 = lo2.selectFrom(b3, b7), c7 = hi2.selectFrom(b3, b7),
                        c8 = lo2.selectFrom(b8, b12), c12 = hi2.selectFrom(b8, b12), c9 = lo2.selectFrom(b9, b13), c13 = hi2.selectFrom(b9, b13),
                        c10 = lo2.selectFrom(b10, b14), c14 = hi2.selectFrom(b10, b14), c11 = lo2.selectFrom(b11, b15), c15 = hi2.selectFrom(b11, b15);
                FloatVector d0 = lo3.selectFrom(c0, c8), d8 = hi3.selectFrom(c0, c8), d1 = lo3.selectFrom(c1, c9), d9 = hi3.selectFrom(c1, c9),
                        d2 = lo3.selectFrom(c2, c10), d10 = hi3.selectFrom(c2, c10), d3 = lo3.selectFrom(c3, c11), d11 = hi3.selectFrom(c3, c11),
                        d4 = lo3.selectFrom(c4, c12), d12 = hi3.selectFrom(c4, c12), d5 = lo3.selectFrom(c5, c13), d13 = hi3.selectFrom(c5, c13),
                        d6 = lo3.selectFrom(c6, c14), d14 = hi3.selectFrom(c6, c14), d7 = lo3.selectFrom(c7, c15), d15 = hi3.selectFrom(c7, c15);
                d0.intoArray(dst, out); d1.intoArray(dst, out + 1 * PANEL_STRIDE); d2.intoArray(dst, out + 2 * PANEL_STRIDE); d3.intoArray(dst, out + 3 * PANEL_STRIDE);
                d4.intoArray(dst, out + 4 * PANEL_STRIDE); d5.intoArray(dst, out + 5 * PANEL_STRIDE); d6.intoArray(dst, out + 6 * PANEL_STRIDE); d7.intoArray(dst, out + 7 * PANEL_STRIDE);
                d8.intoArray(dst, out + 8 * PANEL_STRIDE); d9.intoArray(dst, out + 9 * PANEL_STRIDE); d10.intoArray(dst, out + 10 * PANEL_STRIDE); d11.intoArray(dst, out + 11 * PANEL_STRIDE);
                d12.intoArray(dst, out + 12 * PANEL_STRIDE); d13.intoArray(dst, out + 13 * PANEL_STRIDE); d14.intoArray(dst, out + 14 * PANEL_STRIDE); d15.intoArray(dst, out + 15 * PANEL_STRIDE);
            }
    }

    /** {@link #toPanels} for 8 lanes: blocks of 8 p × 8 rows, 8 loads, 3 stages of 8 two-vector selects, 8 stores. */
    private static void blocks8(float[] src, int off, int ld, int rows, int kc, float[] dst) {
        FloatVector lo0 = FloatVector.fromArray(F, SELECT, 0 * VL), hi0 = FloatVector.fromArray(F, SELECT, 1 * VL), lo1 = FloatVector.fromArray(F, SELECT, 2 * VL), hi1 = FloatVector.fromArray(F, SELECT, 3 * VL),
                lo2 = FloatVector.fromArray(F, SELECT, 4 * VL), hi2 = FloatVector.fromArray(F, SELECT, 5 * VL);
        for (int r0 = 0; r0 + VL <= rows; r0 += VL)
            for (int p0 = 0; p0 + VL <= kc; p0 += VL) {
                int in = off + p0 * ld + r0, out = r0 * PANEL_STRIDE + p0;
                FloatVector v0 = FloatVector.fromArray(F, src, in), v1 = FloatVector.fromArray(F, src, in + 1 * ld), v2 = FloatVector.fromArray(F, src, in + 2 * ld), v3 = FloatVector.fromArray(F, src, in + 3 * ld),
                        v4 = FloatVector.fromArray(F, src, in + 4 * ld), v5 = FloatVector.fromArray(F, src, in + 5 * ld), v6 = FloatVector.fromArray(F, src, in + 6 * ld), v7 = FloatVector.fromArray(F, src, in + 7 * ld);
                FloatVector a0 = lo0.selectFrom(v0, v1), a1 = hi0.selectFrom(v0, v1), a2 = lo0.selectFrom(v2, v3), a3 = hi0.selectFrom(v2, v3),
                        a4 = lo0.selectFrom(v4, v5), a5 = hi0.selectFrom(v4, v5), a6 = lo0.selectFrom(v6, v7), a7 = hi0.selectFrom(v6, v7);
                FloatVector b0 = lo1.selectFrom(a0, a2), b2 = hi1.selectFrom(a0, a2), b1 = lo1.selectFrom(a1, a3), b3 = hi1.selectFrom(a1, a3),
                        b4 = lo1.selectFrom(a4, a6), b6 = hi1.selectFrom(a4, a6), b5 = lo1.selectFrom(a5, a7), b7 = hi1.selectFrom(a5, a7);
                FloatVector c0 = lo2.selectFrom(b0, b4), c4 = hi2.selectFrom(b0, b4), c1 = lo2.selectFrom(b1, b5), c5 = hi2.selectFrom(b1, b5),
                        c2 = lo2.selectFrom(b2, b6), c6 = hi2.selectFrom(b2, b6), c3 = lo2.selectFrom(b3, b7), c7 = hi2.selectFrom(b3, b7);
                c0.intoArray(dst, out); c1.intoArray(dst, out + 1 * PANEL_STRIDE); c2.intoArray(dst, out + 2 * PANEL_STRIDE); c3.intoArray(dst, out + 3 * PANEL_STRIDE);
                c4.intoArray(dst, out + 4 * PANEL_STRIDE); c5.intoArray(dst, out + 5 * PANEL_STRIDE); c6.intoArray(dst, out + 6 * PANEL_STRIDE); c7.intoArray(dst, out + 7 * PANEL_STRIDE);
            }
    }
}
