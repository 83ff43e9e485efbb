package ai.lort.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.Backend;
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

    /**
     * Attention over transposed keys (batches of 2 tokens and more, head sizes of whole vectors)
     * against the per-pair path that a single token takes, run here one token at a time; with and
     * without a sliding window, from position 0 and later; and the same bits on one and two threads.
     */
    @Test
    void transposedAttentionMatchesThePerTokenPath() {
        Random rnd = new Random(5);
        int len = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int hd : new int[] {len, 4 * len, 8 * len})
            for (int window : new int[] {0, 37})
                for (int[] posN : new int[][] {{0, 2}, {0, 70}, {13, 50}, {90, 33}}) {
                    int pos = posN[0], n = posN[1], heads = 6, kvHeads = 2, context = pos + n;
                    var shape = new Backend.Attention(heads, kvHeads, hd, (float) (1 / Math.sqrt(hd)), window);
                    float[][] q = randomRows(rnd, n, heads * hd), k = randomRows(rnd, context, kvHeads * hd), v = randomRows(rnd, context, kvHeads * hd);
                    float[][] batched = attend(2, shape, q, k, v, pos, n, false);
                    assertThat(attend(1, shape, q, k, v, pos, n, false)).isEqualTo(batched);
                    float[][] single = attend(1, shape, q, k, v, pos, n, true);
                    for (int t = 0; t < n; t++)
                        for (int i = 0; i < heads * hd; i++)
                            assertThat(batched[t][i]).as("hd %d window %d pos %d n %d t %d i %d", hd, window, pos, n, t, i)
                                    .isCloseTo(single[t][i], org.assertj.core.data.Offset.offset(2e-5f));
                }
    }

    private static float[][] randomRows(Random rnd, int rows, int cols) {
        float[][] a = new float[rows][cols];
        for (float[] r : a) for (int c = 0; c < cols; c++) r[c] = (float) rnd.nextGaussian();
        return a;
    }

    /** Attention of q's rows at positions [pos, pos + n) over the cache rows k, v; one token per call when {@code oneByOne}. */
    private static float[][] attend(int threads, Backend.Attention shape, float[][] q, float[][] k, float[][] v, int pos, int n, boolean oneByOne) {
        try (CpuBackend b = new CpuBackend(threads)) {
            Backend.Buffer keys = b.buffer(k.length, k[0].length), values = b.buffer(v.length, v[0].length);
            for (int s = 0; s < k.length; s++) {
                b.write(keys, s, k[s]);
                b.write(values, s, v[s]);
            }
            float[][] out = new float[n][q[0].length];
            int step = oneByOne ? 1 : n;
            for (int t0 = 0; t0 < n; t0 += step) {
                Backend.Buffer qs = b.buffer(step, q[0].length), o = b.buffer(step, q[0].length);
                for (int t = 0; t < step; t++) b.write(qs, t, q[t0 + t]);
                b.attention(o, qs, keys, values, shape, pos + t0, step);
                for (int t = 0; t < step; t++) b.read(o, t, out[t0 + t]);
            }
            return out;
        }
    }

    /** Products sharing their input in one call (q/k/v, gate/up) give the bits of one call each, on one or two threads. */
    @Test
    void groupedMatmulMatchesOneCallEach() {
        Random rnd = new Random(13);
        int cols = 300, n = 70;
        int[] rows = {97, 13, 40};
        Backend.Weight[] ws = new Backend.Weight[rows.length];
        for (int i = 0; i < rows.length; i++) {
            MemorySegment bytes = MemorySegment.ofArray(new byte[rows[i] * cols * 2]);
            for (int j = 0; j < rows[i] * cols; j++) bytes.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, j, Half.floatToBf16((float) rnd.nextGaussian()));
            ws[i] = new CpuBackend.CpuWeight(Matrices.dense(new Tensor("w" + i, DType.BF16, new long[] {rows[i], cols}, bytes)));
        }
        float[][] xs = randomRows(rnd, n, cols);
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend b = new CpuBackend(threads)) {
                Backend.Buffer in = b.buffer(n, cols);
                for (int t = 0; t < n; t++) b.write(in, t, xs[t]);
                Backend.Buffer[] grouped = new Backend.Buffer[rows.length];
                for (int i = 0; i < rows.length; i++) grouped[i] = b.buffer(n, rows[i]);
                b.matmul(grouped, ws, in, n);
                for (int i = 0; i < rows.length; i++) {
                    Backend.Buffer single = b.buffer(n, rows[i]);
                    b.matmul(single, ws[i], in, n);
                    for (int t = 0; t < n; t++) {
                        float[] want = new float[rows[i]], got = new float[rows[i]];
                        b.read(single, t, want);
                        b.read(grouped[i], t, got);
                        assertThat(got).as("threads %d matrix %d token %d", threads, i, t).isEqualTo(want);
                    }
                }
            }
        }
    }
}
