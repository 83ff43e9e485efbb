package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.lort.load.DType;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PanelMatrixTest {
    /** Rows around the 12-row panel groups, columns around the 256-column slices. */
    @Test
    void packedProductsGiveTheSourceMatrixBitsOnAnyRowRange() {
        Random rnd = new Random(5);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16})
            for (int[] shape : new int[][] {{1, 7}, {13, 256}, {25, 300}, {200, 513}}) {
                int rows = shape[0], cols = shape[1], n = 40;
                Matrix source = Matrices.dense(DenseMatrixTest.tensor(rnd, dtype, rows, cols, true, null));
                PanelMatrix panels = PanelMatrix.of(source);
                float[][] xs = new float[n][];
                for (int t = 0; t < n; t++) xs[t] = gaussian(rnd, cols);
                PackedBatch b = new PackedBatch();
                b.reset(n, cols);
                b.pack(xs, 0, b.slices());
                float[][] want = new float[n][rows], got = new float[n][rows];
                source.matmul(b, want, 0, rows);
                // Ranges that start inside a 12-row group decode from the panels; those at a multiple of 12 read them in place.
                int cut = Math.min(rows, 5), cut2 = Math.min(rows, 24);
                panels.matmul(b, got, 0, cut);
                panels.matmul(b, got, cut, cut2);
                panels.matmul(b, got, cut2, rows);
                for (int t = 0; t < n; t++) assertThat(got[t]).as("%s %dx%d token %d", dtype, rows, cols, t).isEqualTo(want[t]);
                float[][] unpacked = new float[n][rows];
                panels.matmul(xs, unpacked, n, 0, rows);
                for (int t = 0; t < n; t++) assertThat(unpacked[t]).isEqualTo(want[t]);

                float[] y = new float[rows], ref = new float[rows];
                panels.matvec(xs[0], y, 0, rows);
                panels.scalarMatvec(xs[0], ref, 0, rows);
                for (int r = 0; r < rows; r++) assertThat(y[r]).isCloseTo(ref[r], within(1e-4f * (1 + Math.abs(ref[r]))));
                float[] small = new float[rows];
                source.matvec(xs[0], small, 0, rows);
                for (int r = 0; r < rows; r++) assertThat(y[r]).isCloseTo(small[r], within(1e-4f * (1 + Math.abs(small[r]))));
            }
    }

    @Test
    void rowMajorFloatsAndRefusals() {
        Random rnd = new Random(6);
        int rows = 14, cols = 270;
        float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, cols), y = new float[rows];
        PanelMatrix.of(w, rows, cols).scalarMatvec(x, y, 0, rows);
        for (int r = 0; r < rows; r++) {
            float want = 0;
            for (int c = 0; c < cols; c++) want += w[r * cols + c] * x[c];
            assertThat(y[r]).isCloseTo(want, within(1e-4f));
        }
        assertThatThrownBy(() -> PanelMatrix.of(w, rows, cols + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PanelMatrix.packable(PanelMatrix.of(w, rows, cols))).isFalse();
    }
}
