package ai.lort.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFormat;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.testing.KernelChecks;
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

    /**
     * The vectorized transform, the row-parallel rotation and the column pass of conjugate give
     * the same bits as the pair-at-a-time definition, for blocks narrower and wider than a vector
     * and widths with and without a tail past the last whole vector.
     */
    @Test
    void vectorAndParallelPathsGiveTheDefinitionsBits() {
        for (int cols : new int[] {4, 24, 48, 96, 172, 256, 896, 4864 / 4}) {
            Hadamard h = Hadamard.of(cols, cols);
            float[] signs = h.signVector();
            Random rnd = new Random(cols);
            int rows = 37;
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] expected = x.clone();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) expected[i * cols + j] *= signs[j];
                h.transformScalar(expected, i * cols);
            }
            float[] rotated = x.clone();
            h.rotateRows(rotated, rows, 2);
            assertSameBits(rotated, expected, "rotateRows, cols " + cols);
            float[] one = x.clone();
            h.rotate(one, 5 * cols, signs);
            assertSameBits(java.util.Arrays.copyOfRange(one, 5 * cols, 6 * cols), java.util.Arrays.copyOfRange(expected, 5 * cols, 6 * cols), "rotate, cols " + cols);

            // Conjugate: rows, then the columns through a transpose, all by the definition.
            float[] m = new float[cols * cols];
            for (int i = 0; i < m.length; i++) m[i] = (float) rnd.nextGaussian();
            float[] reference = m.clone();
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < cols; i++) {
                    for (int j = 0; j < cols; j++) reference[i * cols + j] *= signs[j];
                    h.transformScalar(reference, i * cols);
                }
                float[] t = new float[cols * cols];
                for (int i = 0; i < cols; i++)
                    for (int j = 0; j < cols; j++) t[j * cols + i] = reference[i * cols + j];
                reference = t;
            }
            float[] conjugated = m.clone();
            h.conjugate(conjugated, 2);
            assertSameBits(conjugated, reference, "conjugate, cols " + cols);
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
        var layer = CompressedLayer.encode("l", rows, cols, rank, Packing.T2_G64, ScaleEncoding.ROW_F16, s, t, a, b, Hadamard.of(cols, 77));
        KernelChecks.kernelMatchesReferenceAndReconstruction(layer, rnd);
    }

    /** Bit equality, reporting the first difference (a whole-array diff of a million floats takes minutes). */
    private static void assertSameBits(float[] actual, float[] expected, String what) {
        int at = java.util.Arrays.mismatch(actual, expected);
        assertThat(at).as("%s: first difference at %d: %s instead of %s", what, at,
                at < 0 ? "" : actual[at], at < 0 ? "" : expected[at]).isEqualTo(-1);
    }
}
