package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.assertClose;
import static ai.lort.kernel.KernelTesting.gaussian;
import static ai.lort.kernel.KernelTesting.segment;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.GroupQuant;
import ai.lort.format.QuantizedTensor;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GroupQuantMatrixTest {
    static final int[] ROWS = {1, 2, 5, 33};
    static final int[] COLS = {7, 32, 33, 64, 95, 288, 896};

    static QuantizedTensor quantized(Random rnd, GroupQuant q, int rows, int cols, boolean offHeap) {
        float[] w = gaussian(rnd, rows * cols);
        Tensor t = new Tensor("w", DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(w));
        QuantizedTensor heap = QuantizedTensor.quantize(t, q, 2);
        byte[] bytes = heap.data().toArray(ValueLayout.JAVA_BYTE);
        return new QuantizedTensor("w", q, rows, cols, DType.F32, segment(bytes, offHeap));
    }

    @Test
    void vectorMatchesScalarAndTheDequantizedMatrix() {
        Random rnd = new Random(7);
        for (GroupQuant q : GroupQuant.values())
            for (int rows : ROWS)
                for (int cols : COLS)
                    for (boolean offHeap : new boolean[] {false, true}) {
                        QuantizedTensor t = quantized(rnd, q, rows, cols, offHeap);
                        var m = (GroupQuantMatrix) Matrices.quantized(t);
                        assertThat(m.weightBytes()).isEqualTo(q.bytes(rows, cols));
                        float[] dense = t.dequantize(), x = gaussian(rnd, cols);
                        float[] want = new float[rows], got = new float[rows], ref = new float[rows];
                        double[] bound = new double[rows];
                        for (int r = 0; r < rows; r++)
                            for (int c = 0; c < cols; c++) {
                                want[r] += (float) ((double) dense[r * cols + c] * x[c]);
                                bound[r] += Math.abs((double) dense[r * cols + c] * x[c]);
                            }
                        m.matvec(x, got, 0, rows);
                        m.scalarMatvec(x, ref, 0, rows);
                        String what = q + " " + rows + "x" + cols + (offHeap ? " off-heap" : "");
                        assertClose(got, ref, bound, what + " vector vs scalar");
                        assertClose(ref, want, bound, what + " scalar vs dequantized");
                        // Any row split gives the same bits (threads take ranges of their own).
                        for (int cut = 0; cut <= rows; cut++) {
                            float[] split = new float[rows];
                            m.matvec(x, split, 0, cut);
                            m.matvec(x, split, cut, rows);
                            assertThat(split).as(what + " split at " + cut).isEqualTo(got);
                        }
                        // Batched products decode rows to floats: against the dequantized matrix.
                        for (int n : new int[] {3, 9, 40}) {
                            float[][] xs = new float[n][], ys = new float[n][rows];
                            for (int i = 0; i < n; i++) xs[i] = gaussian(rnd, cols);
                            m.matmul(xs, ys, n, 0, rows);
                            for (int i = 0; i < n; i++) {
                                float[] w2 = new float[rows];
                                double[] b2 = new double[rows];
                                for (int r = 0; r < rows; r++)
                                    for (int c = 0; c < cols; c++) {
                                        w2[r] += (float) ((double) dense[r * cols + c] * xs[i][c]);
                                        b2[r] += Math.abs((double) dense[r * cols + c] * xs[i][c]);
                                    }
                                assertClose(ys[i], w2, b2, what + " matmul of " + n + " token " + i);
                            }
                        }
                    }
    }

    /** 2 to 7 tokens (sequences decoded together): each token gets exactly its own matvec's bits, whatever the row range. */
    @Test
    void aFewTokensGetTheirMatvecsBits() {
        Random rnd = new Random(9);
        for (GroupQuant q : GroupQuant.values())
            for (int rows : new int[] {1, 5, 33})
                for (int cols : new int[] {7, 33, 95, 896})
                    for (int n = 2; n < DenseBatch.TOKENS; n++) {
                        var m = (GroupQuantMatrix) Matrices.quantized(quantized(rnd, q, rows, cols, n % 2 == 0));
                        float[][] xs = new float[n][], ys = new float[n][rows], want = new float[n][rows];
                        for (int i = 0; i < n; i++) {
                            xs[i] = gaussian(rnd, cols);
                            m.matvec(xs[i], want[i], 0, rows);
                        }
                        int cut = rows / 3;
                        m.matmul(xs, ys, n, 0, cut);
                        m.matmul(xs, ys, n, cut, rows);
                        for (int i = 0; i < n; i++)
                            assertThat(ys[i]).as("%s %dx%d, token %d of %d", q, rows, cols, i, n).isEqualTo(want[i]);
                    }
    }

    @Test
    void rowLookupIsTheDequantizedRow() {
        Random rnd = new Random(8);
        QuantizedTensor t = quantized(rnd, GroupQuant.Q4_G32, 5, 95, false);
        float[] all = t.dequantize(), row = new float[95];
        t.dequantizeRow(3, row);
        assertThat(row).isEqualTo(java.util.Arrays.copyOfRange(all, 3 * 95, 4 * 95));
    }
}
