package ai.lort.run;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.kernel.Matrices;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.util.Half;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CpuBackendTest {
    /**
     * A batched matmul gives the same bits on one thread as on two (an odd row count, so the
     * threads' ranges are odd), for every dense format and token counts around the tile's 8 and
     * the packed product's 32.
     */
    @Test
    void matmulDoesNotDependOnTheThreadCount() {
        Random rnd = new Random(3);
        int rows = 301, cols = 260;
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            MemorySegment bytes = MemorySegment.ofArray(new byte[rows * cols * dtype.size()]);
            for (int i = 0; i < rows * cols; i++) {
                float v = (float) rnd.nextGaussian();
                switch (dtype) {
                    case F32 -> bytes.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                    case F16 -> bytes.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Half.floatToF16(v));
                    default -> bytes.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Half.floatToBf16(v));
                }
            }
            var w = new CpuBackend.CpuWeight(Matrices.dense(new Tensor("w", dtype, new long[] {rows, cols}, bytes)));
            for (int n : new int[] {1, 3, 8, 11, 32, 33, 100, 256}) {
                float[][] xs = new float[n][cols];
                for (float[] x : xs) for (int c = 0; c < cols; c++) x[c] = (float) rnd.nextGaussian();
                assertThat(product(2, w, xs, rows)).as("%s n=%d", dtype, n).isEqualTo(product(1, w, xs, rows));
            }
        }
    }

    private static float[][] product(int threads, Backend.Weight w, float[][] xs, int rows) {
        int n = xs.length;
        try (CpuBackend b = new CpuBackend(threads)) {
            Backend.Buffer in = b.buffer(n, xs[0].length), out = b.buffer(n, rows);
            for (int t = 0; t < n; t++) b.write(in, t, xs[t]);
            b.matmul(out, w, in, n);
            float[][] ys = new float[n][rows];
            for (int t = 0; t < n; t++) b.read(out, t, ys[t]);
            return ys;
        }
    }
}
