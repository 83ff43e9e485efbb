package ai.lort.engine.cuda;

import ai.lort.util.Half;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A line-by-line Java transcription of {@code lort_lowrank_a}, {@code lort_ternary_matvec} and
 * {@code lort_ternary_fused} (with their row readers {@code ternary_row} for t2-g64 and
 * {@code trit_row} for t3-b5) in
 * {@code kernels/lort_kernel.cu}: the same grid (from {@link CudaKernels}), the same thread → row and
 * lane → word mapping, the same little-endian 32-bit word loads, unsigned shifts and masks, the
 * same tail guard, and the warp reductions in {@code __shfl_xor_sync} butterfly order. A layout or
 * indexing mistake in the kernel is a mistake here, caught by a CPU test. Keep the two in step.
 */
final class TernaryKernelTranscript {
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int WARP = 32;

    private TernaryKernelTranscript() {}

    /** Runs both kernels as {@link CudaKernels#ternary} launches them, for n tokens, t2-g64 codes. */
    static void ternary(MemorySegment codes, float[] scales, short[] a, short[] b, float[] x, float[] y,
                        int rows, int cols, int rank, int n) {
        ternary(false, codes, scales, a, b, x, y, rows, cols, rank, n);
    }

    /** {@link #ternary} for t3-b5 codes when {@code base3} (the scales are given as floats: row-f16's convert exactly). */
    static void ternary(boolean base3, MemorySegment codes, float[] scales, short[] a, short[] b, float[] x, float[] y,
                        int rows, int cols, int rank, int n) {
        float[] u = new float[Math.max(1, n * rank)];
        int block = CudaKernels.MATVEC_THREADS;
        if (rank > 0) {
            int gridX = (rank + CudaKernels.ROWS_PER_BLOCK - 1) / CudaKernels.ROWS_PER_BLOCK;
            for (int by = 0; by < n; by++)
                for (int bx = 0; bx < gridX; bx++)
                    for (int warpStart = 0; warpStart < block; warpStart += WARP) lowrankWarp(a, x, u, rank, cols, bx, by, block, warpStart);
        }
        phase2(base3, codes, scales, b, u, x, y, rows, cols, rank, n);
    }

    /** lort_ternary_matvec (the second launch of {@link CudaKernels#ternary}) given u = A x, n × rank floats. */
    static void phase2(boolean base3, MemorySegment codes, float[] scales, short[] b, float[] u, float[] x, float[] y,
                       int rows, int cols, int rank, int n) {
        int block = CudaKernels.MATVEC_THREADS, gridX = (rows + CudaKernels.ROWS_PER_BLOCK - 1) / CudaKernels.ROWS_PER_BLOCK;
        for (int by = 0; by < n; by++)
            for (int bx = 0; bx < gridX; bx++)
                for (int warpStart = 0; warpStart < block; warpStart += WARP)
                    ternaryWarp(base3, codes, scales, b, u, x, y, rows, cols, rank, bx, by, block, warpStart);
    }

    /** One warp of lort_lowrank_a; lane l is threadIdx.x = warpStart + l. */
    private static void lowrankWarp(short[] a, float[] x, float[] u, int rank, int cols, int bx, int by, int blockDim, int warpStart) {
        int row = (bx * blockDim + warpStart) >> 5;  // the same for all 32 lanes
        if (row >= rank) return;
        int xo = by * cols, uo = by * rank;
        int ar = row * cols;
        float[] acc = new float[WARP];
        for (int lane = 0; lane < WARP; lane++)
            for (int c = lane; c < cols; c += 32) acc[lane] += Half.f16ToFloat(a[ar + c]) * x[xo + c];
        u[uo + row] = warpSum(acc);
    }

    /** One warp of lort_ternary_matvec. */
    private static void ternaryWarp(boolean base3, MemorySegment codes, float[] scales, short[] b, float[] u, float[] x, float[] y,
                                    int rows, int cols, int rank, int bx, int by, int blockDim, int warpStart) {
        int row = (bx * blockDim + warpStart) >> 5;
        if (row >= rows) return;
        int xo = by * cols, uo = by * rank, yo = by * rows;
        float[] acc = new float[WARP], sx = new float[WARP], lr = new float[WARP];
        for (int lane = 0; lane < WARP; lane++) {
            row(base3, codes, row, x, xo, cols, lane, acc, sx);
            int br = row * rank;
            for (int j = lane; j < rank; j += 32) lr[lane] += Half.f16ToFloat(b[br + j]) * u[uo + j];
        }
        float accSum = warpSum(acc), sxSum = warpSum(sx), lrSum = warpSum(lr);
        y[yo + row] = scales[row] * (accSum - sxSum) + lrSum;
    }

    /** lort_ternary_fused, as {@link CudaKernels#ternaryFused} launches it, t2-g64 codes. */
    static void ternaryFused(MemorySegment codes, float[] scales, short[] a, short[] b, float[] x, float[] y,
                             int rows, int cols, int rank, int n) {
        ternaryFused(false, codes, scales, a, b, x, y, rows, cols, rank, n);
    }

    /** {@link #ternaryFused} for t3-b5 codes when {@code base3}. */
    static void ternaryFused(boolean base3, MemorySegment codes, float[] scales, short[] a, short[] b, float[] x, float[] y,
                             int rows, int cols, int rank, int n) {
        int blockDim = CudaKernels.FUSED_THREADS, warps = blockDim >> 5;
        int gridX = (rows + warps - 1) / warps;
        for (int by = 0; by < n; by++) {
            int xo = by * cols, yo = by * rows;
            for (int bx = 0; bx < gridX; bx++) {
                float[] su = new float[rank];  // the block's shared memory
                boolean wide = (cols & 7) == 0 && (xo & 3) == 0;
                for (int warp = 0; warp < warps; warp++) {
                    for (int j = warp; j < rank; j += warps) {
                        int ar = j * cols;
                        float[] acc = new float[WARP];
                        for (int lane = 0; lane < WARP; lane++) {
                            if (wide) {
                                for (int c = lane * 8; c < cols; c += 256) acc[lane] += dot8(a, ar + c, x, xo + c);
                            } else {
                                for (int c = lane; c < cols; c += 32) acc[lane] += Half.f16ToFloat(a[ar + c]) * x[xo + c];
                            }
                        }
                        su[j] = warpSum(acc);
                    }
                }
                // __syncthreads()
                for (int warp = 0; warp < warps; warp++) {
                    int row = bx * warps + warp;
                    if (row >= rows) continue;
                    float[] acc = new float[WARP], sx = new float[WARP], lr = new float[WARP];
                    for (int lane = 0; lane < WARP; lane++) {
                        row(base3, codes, row, x, xo, cols, lane, acc, sx);
                        int br = row * rank;
                        for (int j = lane; j < rank; j += 32) lr[lane] += Half.f16ToFloat(b[br + j]) * su[j];
                    }
                    float accSum = warpSum(acc), sxSum = warpSum(sx), lrSum = warpSum(lr);
                    y[yo + row] = scales[row] * (accSum - sxSum) + lrSum;
                }
            }
        }
    }

    /** T2G64::row and T3B5::row: the row's codes start at word row · words (t2-g64) or byte row · ceil(cols / 5) (t3-b5). */
    private static void row(boolean base3, MemorySegment codes, int row, float[] x, int xo, int cols, int lane, float[] acc, float[] sx) {
        if (base3) tritRow(codes, (long) row * ((cols + 4) / 5), x, xo, cols, lane, acc, sx);
        else ternaryRow(codes, (long) row * ((cols + 63) / 64 * 4), x, xo, cols, lane, acc, sx);
    }

    /** trit_row: one lane's share of a t3-b5 row whose bytes start at byte {@code cr}: bytes lane, lane + 32, ..., five digits each. */
    private static void tritRow(MemorySegment codes, long cr, float[] x, int xo, int cols, int lane, float[] acc, float[] sx) {
        int bytes = (cols + 4) / 5;
        for (int g = lane; g < bytes; g += 32) {
            int v = codes.get(ValueLayout.JAVA_BYTE, cr + g) & 0xFF;
            int c = 5 * g;
            for (int k = 0; k < 5; k++, c++) {
                int digit = Integer.remainderUnsigned(v, 3);
                v = Integer.divideUnsigned(v, 3);
                if (c < cols) {
                    float xv = x[xo + c];
                    acc[lane] += (float) digit * xv;
                    sx[lane] += xv;
                }
            }
        }
    }

    /** ternary_row: one lane's share of a row whose words start at word {@code cr}; x[t] starts at float {@code xo}. */
    private static void ternaryRow(MemorySegment codes, long cr, float[] x, int xo, int cols, int lane, float[] acc, float[] sx) {
        int words = (cols + 63) / 64 * 4;
        int fullCols = (xo & 3) == 0 ? cols : 0;  // x[t] is 16-byte aligned iff its float offset is a multiple of 4
        for (int w = lane; w < words; w += 32) {
            int bits = codes.getAtIndex(WORD, cr + w);
            int base = (w >> 2) * 64 + (w & 3) * 4;
            if (base + 51 < fullCols) {
                for (int k = 0; k < 4; k++) {
                    int xi = xo + base + 16 * k;  // the float4 at x + base + 16k
                    float x0 = x[xi], x1 = x[xi + 1], x2 = x[xi + 2], x3 = x[xi + 3];
                    int q = bits >>> (2 * k);
                    acc[lane] += (float) (q & 3) * x0 + (float) ((q >>> 8) & 3) * x1
                            + (float) ((q >>> 16) & 3) * x2 + (float) ((q >>> 24) & 3) * x3;
                    sx[lane] += (x0 + x1) + (x2 + x3);
                }
            } else {
                for (int k = 0; k < 4; k++) {
                    for (int j = 0; j < 4; j++) {
                        int c = base + 16 * k + j;
                        if (c < cols) {
                            float xv = x[xo + c];
                            acc[lane] += (float) ((bits >>> (8 * j + 2 * k)) & 3) * xv;
                            sx[lane] += xv;
                        }
                    }
                }
            }
        }
    }

    /** dot8: eight halves from one 16-byte load times two float4s of x, summed left to right. */
    private static float dot8(short[] w, int wi, float[] x, int xi) {
        return Half.f16ToFloat(w[wi]) * x[xi] + Half.f16ToFloat(w[wi + 1]) * x[xi + 1] + Half.f16ToFloat(w[wi + 2]) * x[xi + 2]
                + Half.f16ToFloat(w[wi + 3]) * x[xi + 3] + Half.f16ToFloat(w[wi + 4]) * x[xi + 4] + Half.f16ToFloat(w[wi + 5]) * x[xi + 5]
                + Half.f16ToFloat(w[wi + 6]) * x[xi + 6] + Half.f16ToFloat(w[wi + 7]) * x[xi + 7];
    }

    /** warp_sum: for o = 16, 8, 4, 2, 1 every lane adds lane (l ^ o)'s value from before the step; lane 0's result. */
    static float warpSum(float[] lanes) {
        float[] v = lanes.clone(), next = new float[WARP];
        for (int o = 16; o > 0; o >>= 1) {
            for (int l = 0; l < WARP; l++) next[l] = v[l] + v[l ^ o];
            float[] t = v;
            v = next;
            next = t;
        }
        return v[0];
    }
}
