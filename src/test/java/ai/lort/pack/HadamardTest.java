package ai.lort.pack;

import ai.lort.testing.KernelChecks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HadamardTest {
    @Test
    void isOrthogonalBlockwiseAndItsConjugateMatchesTheDefinition() {
        for (int cols : new int[] {64, 172, 96}) {
            Hadamard h = Hadamard.of(cols, 9);
            assertThat(h.block()).isEqualTo(Integer.lowestOneBit(cols));
            float[] signs = h.signVector();
            Random rnd = new Random(cols);
            float[] x = new float[cols];
            for (int j = 0; j < cols; j++) x[j] = (float) rnd.nextGaussian();
            float[] y = x.clone();
            h.rotate(y, 0, signs);
            double nx = 0, ny = 0;
            for (int j = 0; j < cols; j++) { nx += x[j] * x[j]; ny += y[j] * y[j]; }
            assertThat(ny).isCloseTo(nx, within(1e-4 * nx));
            h.rotateBack(y, 0, signs);
            for (int j = 0; j < cols; j++) assertThat(y[j]).isCloseTo(x[j], within(1e-5f));
            // R·M·Rᵀ against R applied to the columns of M = e_i·e_jᵀ.
            float[] m = new float[cols * cols];
            m[3 * cols + 5] = 1;
            h.conjugate(m);
            float[] e3 = new float[cols], e5 = new float[cols];
            e3[3] = 1;
            e5[5] = 1;
            h.rotate(e3, 0, signs);
            h.rotate(e5, 0, signs);
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) assertThat((double) m[i * cols + j]).isCloseTo((double) e3[i] * e5[j], within(1e-6));
        }
    }

    @Test
    void rotatedLayerRunsAsItsReconstructionInTheInputBasis() {
        int rows = 20, cols = 96, rank = 2;
        Random rnd = new Random(4);
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        float[] s = new float[rows], a = new float[rank * cols], b = new float[rows * rank];
        for (int i = 0; i < rows; i++) s[i] = 0.05f + rnd.nextFloat() * 0.1f;
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian() * 0.1f;
        var layer = CompressedLayer.encode("l", rows, cols, rank, CompressedLayer.PACKING_T2_G64, LortFormat.SCALES_ROW_F16, s, t, a, b, Hadamard.of(cols, 77));
        KernelChecks.kernelMatchesReferenceAndReconstruction(layer, rnd);
    }
}
