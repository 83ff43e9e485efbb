package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.gaussian;
import static ai.lort.kernel.KernelTesting.segment;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.pack.Hadamard;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Sequences decoded together must get the bits each gets alone: a product of 2-7 tokens gives
 * every token exactly its own matvec's floats (bfloat16 and compressed layers, whole-vector and
 * ragged widths, any row range).
 */
class FewTokensTest {
    @Test
    void bfloat16RowsTimesAFewTokensHaveEachTokensMatvecBits() {
        Random rnd = new Random(3);
        for (int cols : new int[] {64, 70, 896, 131}) {
            int rows = 37;
            byte[] w = new byte[2 * rows * cols];
            for (int i = 0; i < w.length; i += 2) {
                int bits = Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16;
                w[i] = (byte) bits;
                w[i + 1] = (byte) (bits >>> 8);
            }
            Bf16Matrix m = new Bf16Matrix(segment(w, true), rows, cols);
            check(m, rnd, cols, rows);
        }
    }

    @Test
    void compressedLayersTimesAFewTokensHaveEachTokensMatvecBits() {
        Random rnd = new Random(4);
        for (Packing p : Packing.values())
            for (int cols : new int[] {64, 200, 896})
                for (boolean subnormals : new boolean[] {false, true})
                    for (boolean rotate : new boolean[] {false, true}) {
                        CompressedLayer l = TernaryLowRankMatrixTest.randomLayer(rnd, 70, cols, 5, true, subnormals, p).layer();
                        if (rotate)  // the same bytes, fitted (so run) in a Hadamard-rotated basis
                            l = new CompressedLayer(l.name(), l.rows(), l.cols(), l.rank(), l.packing(), l.scales(), l.a(), l.b(), l.codes(),
                                    l.scaleEncoding(), Hadamard.of(cols, 7));
                        check(Matrices.compressed(l), rnd, cols, 70);
                    }
    }

    private static void check(Matrix m, Random rnd, int cols, int rows) {
        for (int n = 2; n < 8; n++) {
            float[][] xs = new float[n][], ys = new float[n][rows];
            for (int t = 0; t < n; t++) xs[t] = gaussian(rnd, cols);
            int from = 5, to = rows - 3;
            m.matmul(xs, ys, n, from, to);
            for (int t = 0; t < n; t++) {
                float[] alone = new float[rows];
                m.matvec(xs[t], alone, from, to);
                for (int r = from; r < to; r++)
                    assertThat(Float.floatToRawIntBits(ys[t][r])).as("%s n=%d token %d row %d", m.getClass().getSimpleName(), n, t, r)
                            .isEqualTo(Float.floatToRawIntBits(alone[r]));
            }
        }
    }
}
