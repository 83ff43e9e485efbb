package ai.lort.kernel;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.pack.TernaryPacker;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Runs every kernel on small synthetic weights until the JIT has compiled it. Until C2 compiles a
 * Vector API loop, it runs in the interpreter or C1 with every vector boxed: the first matvecs of a
 * real layer would take seconds each. The kernels are
 * static code shared by all matrices, so warming them on tiny ones once is enough.
 */
final class WarmUp {
    private WarmUp() {}

    /** Returns the milliseconds spent. */
    static long run() {
        long t0 = System.nanoTime();
        int rows = 16, cols = TernaryPacker.GROUP + 5, rank = VectorSpecs.F.length() + 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f32 = filled(arena, 4L * rows * cols), f16 = filled(arena, 2L * rows * cols);
            Matrix[] dense = {
                new F32Matrix(f32, rows, cols),
                new F16Matrix(f16, rows, cols),
                new F16Matrix(filled(arena, 2L * rows * cols, (byte) 0x01), rows, cols), // subnormal: exact decode
                new Bf16Matrix(f16, rows, cols),
                quantized(f32, rows, cols, ai.lort.format.GroupQuant.Q8_G32),
                quantized(f32, rows, cols, ai.lort.format.GroupQuant.Q4_G32),
            };
            Matrix ternary = new TernaryLowRankMatrix(new CompressedLayer("warm-up", rows, cols, rank, Packing.T2_G64,
                    filled(arena, 4L * rows), filled(arena, 2L * rank * cols), filled(arena, 2L * rows * rank),
                    filled(arena, (long) rows * TernaryPacker.rowBytes(cols))));
            float[] x = new float[cols], y = new float[rows];
            for (int i = 0; i < cols; i++) x[i] = (i % 7) - 3;
            // One tile group and one packed batch for the dense batched products (the ternary one
            // is its matvec), every 4th round: that code is shared by the 4 dense matrices, so it
            // is still called 10,000 times, and interpreted it costs seconds more on a busy machine.
            float[][] xs = new float[DenseBatch.TOKENS][], ys = new float[DenseBatch.TOKENS][rows];
            float[][] xsLarge = new float[DenseGemm.MIN_TOKENS][], ysLarge = new float[DenseGemm.MIN_TOKENS][rows];
            Arrays.fill(xs, x);
            Arrays.fill(xsLarge, x);
            // 20,000 calls of every method, past C2's thresholds (about 10,000 invocations + loop
            // iterations). Products of 2 rows, so the once-per-call code (the ternary kernel's
            // tables and A·x) is called as often as the per-row code.
            for (int round = 0; round < 10_000; round++) {
                int from = round % (rows - 1);
                ternary.matvec(x, y, from, from + 2);
                for (Matrix m : dense) {
                    m.matvec(x, y, from, from + 2);
                    if (round % 4 == 0) {
                        m.matmul(xs, ys, xs.length, from, from + 2);
                        m.matmul(xsLarge, ysLarge, xsLarge.length, from, from + 2);
                    }
                }
            }
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** The F32 weights at {@code w} group-quantized. */
    private static Matrix quantized(MemorySegment w, int rows, int cols, ai.lort.format.GroupQuant q) {
        var t = new ai.lort.load.Tensor("warm-up", ai.lort.load.DType.F32, new long[] {rows, cols}, w);
        return new GroupQuantMatrix(ai.lort.format.QuantizedTensor.quantize(t, q, 1));
    }

    /** Bytes 0x15: normal finite values in F32, F16 and BF16, and valid ternary codes (1, 1, 1, 0). */
    private static MemorySegment filled(Arena arena, long bytes) {
        return filled(arena, bytes, (byte) 0x15);
    }

    private static MemorySegment filled(Arena arena, long bytes, byte value) {
        MemorySegment s = arena.allocate(bytes, 64);
        s.fill(value);
        return s;
    }
}
