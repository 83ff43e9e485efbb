package ai.lort.kernel;

import static ai.lort.kernel.MicroKernel.KC;
import static ai.lort.kernel.MicroKernel.MR;
import static ai.lort.kernel.MicroKernel.NR;
import static ai.lort.kernel.MicroKernel.PANEL_STRIDE;
import static ai.lort.kernel.MicroKernel.VL;
import static ai.lort.kernel.VectorSpecs.F;

import ai.lort.util.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import jdk.incubator.vector.FloatVector;

/**
 * Dense float matrix products on row-major arrays (BLAS {@code sgemm}, {@code ssyrk}, and the two
 * triangular variants a blocked Cholesky factorization needs), multi-threaded, for the
 * compressor: calibration statistics, the calibrated decomposition, randomized SVD. Results do not
 * depend on {@code threads}: every output element is summed in one fixed order.
 *
 * <p>Matrices are addressed BLAS-style: element (i, j) of a row-major matrix stored at offset
 * {@code off} with leading dimension {@code ld} (the row stride, ≥ its column count) is
 * {@code x[off + i·ld + j]}.
 *
 * <p>Products are blocked as in BLIS/GotoBLAS: each {@link MicroKernel#KC}-deep slice of op(A) and
 * op(B) is packed once into the {@link MicroKernel}'s operand layouts (which makes the four
 * transpose cases one), and every fixed block of C rows runs the micro-kernel over them, the same
 * one as the engine's packed product. Neither the slices nor the tiles depend on {@code threads},
 * so neither does any element's summation order.
 */
public final class Gemm {
    /**
     * ROW_BLOCK rows of C are the work item of a product's threads: a thread packs their KC-deep
     * slice of op(A) (51 KB) and sums them over C's columns TILE_N at a time, that part of packed B
     * (512 KB) staying in L2 while the block's A panels stream over it. Small items balance the
     * threads, which wait for each other at the end of every k slice: 896 rows (the decoder's width,
     * and down_proj's output) are 19 items of 48 rows, where 192-row items made 5 and one thread
     * ran three while the other waited (measurements: bench/README.md). Triangles (syrk, Cholesky
     * updates) take narrower column tiles, as more of them are skipped.
     */
    static final int ROW_BLOCK = 4 * MR, TILE_N = 512 / NR * NR, TRIANGLE_TILE = 24 * MR;

    private Gemm() {}

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} with {@code op(X) = X} or {@code Xᵀ}; op(A) is m × k,
     * op(B) is k × n, C is m × n. With {@code beta == 0}, C's previous contents are ignored (NaN
     * included); with {@code alpha == 0}, A and B are not read.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, int threads) {
        new Product(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, Shape.FULL).run(threads);
    }

    /**
     * {@link #gemm} with B given as bytes (small integers such as ternary codes), widened to float
     * as op(B) is packed, so that B is never held as floats.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, byte[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, int threads) {
        new Product(transA, transB, m, n, k, alpha, a, aOff, lda, null, bOff, ldb, beta, c, cOff, ldc, Shape.FULL).withByteB(b).run(threads);
    }

    /**
     * {@code C = alpha·AᵀA + beta·C} for A of k × n (rows are samples: {@code AᵀA} is their Gram
     * matrix, n × n, symmetric); both triangles of C are written. As in BLAS, only the upper
     * triangle of the old C is read (C is symmetric in every use, e.g. a running sum over batches).
     * Costs half a {@link #gemm}: only tiles on and above the diagonal are computed, then mirrored.
     */
    public static void syrk(int n, int k, float alpha, float[] a, int aOff, int lda, float beta, float[] c, int cOff, int ldc, int threads) {
        new Product(true, false, n, n, k, alpha, a, aOff, lda, a, aOff, lda, beta, c, cOff, ldc, Shape.SYMMETRIC).run(threads);
    }

    /**
     * {@link #gemm} for C's lower triangle only (BLAS's {@code gemmt}), for a square C: tiles wholly
     * above the diagonal are skipped, so elements above it are left either as they were or updated
     * (where a tile straddles the diagonal). Cholesky's trailing update.
     */
    public static void gemmLower(boolean transA, boolean transB, int n, int k, float alpha,
                                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc, int threads) {
        new Product(transA, transB, n, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, Shape.LOWER).run(threads);
    }

    /**
     * {@link #gemm} with a lower-triangular op(A) (m × m, so {@code k = m}), whose strict upper
     * triangle holds zeros: row i of C sums over p ≤ i only, so each row block skips the k slices
     * past its last row (zeros above the diagonal within a block are still read). The triangular
     * inverse's product.
     */
    public static void gemmLowerA(boolean transA, boolean transB, int m, int n, float alpha,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float beta, float[] c, int cOff, int ldc, int threads) {
        new Product(transA, transB, m, n, m, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, Shape.LOWER_A).run(threads);
    }

    /** Which part of a product is wanted, or known. */
    private enum Shape {
        /** All of C. */
        FULL,
        /** C is symmetric: tiles on and above the diagonal are computed, then mirrored below. */
        SYMMETRIC,
        /** Only C's lower triangle is wanted; tiles above the diagonal are skipped. */
        LOWER,
        /** op(A) is lower triangular: row i of C sums over p ≤ i only. */
        LOWER_A
    }

    /**
     * One product {@code C = alpha·op(A)·op(B) + beta·C}, cut into row blocks and k slices.
     *
     * <p>The work runs in phases, two per k slice (and under SYMMETRIC a last one that mirrors the
     * upper triangle): first op(B)'s slice is packed once, into a buffer all threads share (its
     * column tiles being the work items), then every row block of C adds that slice's product,
     * packing its own rows of op(A) as BLIS does. A thread that runs out of items in a phase waits
     * until the items others took are done, then moves to the next phase: each C element thus adds
     * the k slices in order, whichever thread computes which block, and a thread that starts late
     * (or never) only finds fewer items left.
     */
    private static final class Product {
        final boolean transA, transB;
        final int m, n, k, aOff, lda, bOff, ldb, cOff, ldc;
        final float alpha, beta;
        final float[] a, b, c;
        /** B as bytes instead of {@link #b} (then b is null). */
        byte[] bBytes;
        final Shape shape;
        final int tileM, tileN, rowTiles, colTiles, slices;
        /** The row blocks to compute, the most work first (it balances the threads). tileM = ROW_BLOCK. */
        final int[] tiles;
        /** One k slice of op(B), packed; each pack phase overwrites the previous slice. */
        final float[] packedB;
        /** Per phase: items claimed and items done. */
        final AtomicIntegerArray claimed, done;
        /** The first exception a thread hit; the others then stop, and {@link #run} rethrows it. */
        volatile Throwable failure;

        Product(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc, Shape shape) {
            this.transA = transA;
            this.transB = transB;
            this.m = Math.max(0, m);
            this.n = Math.max(0, n);
            this.k = alpha == 0 || m <= 0 || n <= 0 ? 0 : Math.max(0, k);
            this.alpha = alpha;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.beta = beta;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            this.shape = shape;
            boolean triangle = shape == Shape.SYMMETRIC || shape == Shape.LOWER;
            this.tileM = ROW_BLOCK;
            this.tileN = triangle ? TRIANGLE_TILE : TILE_N;
            this.rowTiles = (this.m + tileM - 1) / tileM;
            this.colTiles = (this.n + tileN - 1) / tileN;
            this.slices = Math.max(1, (this.k + KC - 1) / KC); // one slice even when k = 0: beta still applies
            int kc = Math.min(KC, this.k);
            this.packedB = new float[kc == 0 ? 0 : (this.n + NR - 1) / NR * strideB(kc)];
            this.tiles = tiles();
            this.claimed = new AtomicIntegerArray(2 * slices + 1);
            this.done = new AtomicIntegerArray(2 * slices + 1);
        }

        Product withByteB(byte[] bytes) {
            this.bBytes = bytes;
            return this;
        }

        /** The row blocks, sorted by decreasing work (kernel calls × depth). */
        private int[] tiles() {
            List<long[]> tiles = new ArrayList<>(); // {row block, work}
            for (int ti = 0; ti < rowTiles; ti++) {
                int i0 = ti * tileM, i1 = Math.min(m, i0 + tileM);
                long calls = 0;
                for (int i = i0; i < i1; i += MR)
                    for (int j = 0; j < n; j += NR) if (!skipped(i, j)) calls++;
                tiles.add(new long[] {ti, calls * (shape == Shape.LOWER_A ? Math.min(k, i1) : k)});
            }
            tiles.sort(Comparator.comparingLong((long[] t) -> -t[1])); // stable: ties keep their order
            return tiles.stream().mapToInt(t -> (int) t[0]).toArray();
        }

        /** Whether the micro-tile at C[i, j] lies wholly outside the shape's part of C. */
        private boolean skipped(int i, int j) {
            return shape == Shape.SYMMETRIC && j + NR <= i || shape == Shape.LOWER && j >= i + MR;
        }

        void run(int threads) {
            if (m == 0 || n == 0) return;
            Parallel.run(this::work, Math.max(1, Math.min(threads, tiles.length)));
            switch (failure) {
                case null -> {}
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException(failure);
            }
        }

        /** One thread's share: every phase in order, taking items until none are left. */
        private void work() {
            float[] edge = new float[MR * NR], blockA = new float[k == 0 ? 0 : tileM * PANEL_STRIDE];
            try {
                for (int s = 0; s < slices; s++) {
                    int p0 = s * KC, kc = Math.min(KC, k - p0);
                    int packs = k == 0 ? 0 : colTiles;
                    for (int t; (t = claimed.getAndIncrement(2 * s)) < packs; done.incrementAndGet(2 * s))
                        pack(t, p0, kc);
                    if (!awaitPhase(2 * s, packs)) return;
                    for (int t; (t = claimed.getAndIncrement(2 * s + 1)) < tiles.length; done.incrementAndGet(2 * s + 1))
                        block(tiles[t], s, p0, kc, blockA, edge);
                    if (!awaitPhase(2 * s + 1, tiles.length)) return;
                }
                if (shape == Shape.SYMMETRIC)
                    for (int t; (t = claimed.getAndIncrement(2 * slices)) < rowTiles; done.incrementAndGet(2 * slices))
                        mirror(t * tileM, Math.min(m, t * tileM + tileM));
            } catch (Throwable e) {
                if (failure == null) failure = e;
            }
        }

        /** Waits until the phase's items are all done; false when a thread failed (the item it had will never be). */
        private boolean awaitPhase(int phase, int items) {
            for (int spins = 0; done.get(phase) < items; spins++) {
                if (failure != null) return false;
                if (spins < 1000) Thread.onSpinWait();
                else Thread.yield(); // the thread being waited for may need this core
            }
            return true;
        }

        /** Pack item t of a slice: column tile t of op(B). */
        private void pack(int t, int p0, int kc) {
            int j0 = t * tileN;
            packB(p0, kc, j0, Math.min(n, j0 + tileN) - j0, packedB, j0 / NR * strideB(kc));
        }

        /**
         * Adds slice s (depth kc from p0) of the product to one row block of C: its rows of op(A)
         * are packed into the thread's {@code blockA} (which then stays in L2), then each column
         * tile's micro-tiles are summed, beta applied first.
         */
        private void block(int ti, int s, int p0, int kc, float[] blockA, float[] edge) {
            int i0 = ti * tileM, i1 = Math.min(m, i0 + tileM);
            // Under LOWER_A the block's rows sum p < i1 only: the last slices may be shorter, or none.
            int depth = shape == Shape.LOWER_A ? Math.min(kc, i1 - p0) : kc;
            if (depth > 0) packA(i0, i1 - i0, p0, kc, blockA);
            int strideB = strideB(kc);
            for (int j0 = 0; j0 < n; j0 += tileN) {
                int j1 = Math.min(n, j0 + tileN);
                if (skipped(i0 + (i1 - 1 - i0) / MR * MR, j0) && skipped(i0, j0 + (j1 - 1 - j0) / NR * NR)) continue; // all of it
                if (s == 0)
                    for (int i = i0; i < i1; i++) {
                        int co = cOff + i * ldc;
                        if (beta == 0) Arrays.fill(c, co + j0, co + j1, 0f);
                        else if (beta != 1) for (int j = j0; j < j1; j++) c[co + j] *= beta;
                    }
                if (depth <= 0) continue;
                for (int i = i0; i < i1; i += MR) {
                    int ao = (i - i0) * PANEL_STRIDE, mr = Math.min(MR, i1 - i);
                    for (int j = j0; j < j1; j += NR) {
                        if (skipped(i, j)) continue;
                        int bo = j / NR * strideB, nr = Math.min(NR, j1 - j);
                        if (mr == MR && nr == NR) {
                            MicroKernel.multiply(depth, blockA, ao, packedB, bo, alpha, c, cOff + i * ldc + j, ldc);
                        } else { // edge: the same kernel on a copy, so that edges round alike
                            for (int r = 0; r < mr; r++) System.arraycopy(c, cOff + (i + r) * ldc + j, edge, r * NR, nr);
                            MicroKernel.multiply(depth, blockA, ao, packedB, bo, alpha, edge, 0, NR);
                            for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, c, cOff + (i + r) * ldc + j, nr);
                        }
                    }
                }
            }
        }

        /** Copies rows [i0, i1) of C's upper triangle to their transposed places, once all slices are summed. */
        private void mirror(int i0, int i1) {
            for (int jb = i0; jb < n; jb += 32)
                for (int i = i0; i < i1; i++)
                    for (int j = Math.max(jb, i + 1), jEnd = Math.min(n, jb + 32); j < jEnd; j++)
                        c[cOff + j * ldc + i] = c[cOff + i * ldc + j];
        }

        /**
         * Packs op(A)[i0, i0+rows) × [p0, p0+kc) into {@code dst} as the micro-kernel's A panels:
         * row r at {@code r·PANEL_STRIDE}, so that the panel of rows [r, r+MR) starts at
         * {@code r·PANEL_STRIDE}; the rows from {@code rows} to the next multiple of MR are zero.
         * A transposed op(A) goes through {@link Transpose}; otherwise op(A)'s rows are A's.
         */
        private void packA(int i0, int rows, int p0, int kc, float[] dst) {
            if (transA) {
                Transpose.toPanels(a, aOff + p0 * lda + i0, lda, rows, kc, dst);
            } else {
                for (int r = 0; r < rows; r++) System.arraycopy(a, aOff + (i0 + r) * lda + p0, dst, r * PANEL_STRIDE, kc);
            }
            for (int r = rows, end = (rows + MR - 1) / MR * MR; r < end; r++) Arrays.fill(dst, r * PANEL_STRIDE, r * PANEL_STRIDE + kc, 0f);
        }

        /**
         * Packs op(B)[p0, p0+kc) × [j0, j0+cols) into NR-column micro-panels from {@code dst[off]},
         * each kc × NR (one p's NR values together: the micro-kernel's B layout) and
         * {@link #strideB} apart, columns past the end zero. B's rows are read along their length,
         * which the prefetcher follows.
         */
        private void packB(int p0, int kc, int j0, int cols, float[] dst, int off) {
            int stride = strideB(kc), tail = cols % NR, full = cols - tail;
            if (bBytes != null) {
                byte[] bb = bBytes; // both ways along B's rows, as below
                if (transB) {
                    for (int q = 0; q < cols; q++)
                        for (int p = 0, src = bOff + (j0 + q) * ldb + p0, d = off + q / NR * stride + q % NR; p < kc; p++) dst[d + p * NR] = bb[src + p];
                } else {
                    for (int p = 0; p < kc; p++)
                        for (int q = 0, src = bOff + (p0 + p) * ldb + j0; q < cols; q++) dst[off + q / NR * stride + q % NR + p * NR] = bb[src + q];
                }
            } else if (transB) {
                for (int q = 0; q < cols; q++) {
                    int src = bOff + (j0 + q) * ldb + p0, d = off + q / NR * stride + q % NR;
                    for (int p = 0; p < kc; p++) dst[d + p * NR] = b[src + p];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0, d = off + p * NR;
                    for (int c0 = 0; c0 < full; c0 += NR, src += NR, d += stride) {
                        FloatVector.fromArray(F, b, src).intoArray(dst, d);
                        FloatVector.fromArray(F, b, src + VL).intoArray(dst, d + VL);
                    }
                    if (tail > 0) System.arraycopy(b, src, dst, d, tail);
                }
            }
            if (tail > 0)
                for (int p = 0, d = off + full / NR * stride; p < kc; p++) Arrays.fill(dst, d + p * NR + tail, d + p * NR + NR, 0f);
        }
    }

    /**
     * Distance between packed B micro-panels: kc·NR floats plus one cache line. Packing writes one
     * p's values into every panel in turn, and without the pad those writes, 4 KB multiples apart,
     * all fall in one L1 set (bench/README.md).
     */
    static int strideB(int kc) {
        return kc * NR + 16;
    }
}
