package ai.lort.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.kernel.TernaryLowRankMatrix;
import java.util.Random;

/** The check every encoding test makes: the kernel, its scalar reference and the dense Ŵ agree. */
public final class KernelChecks {
    private KernelChecks() {}

    /** Multiplies a random x through the vector kernel, the scalar reference and {@code Ŵ·x} (double). */
    public static void kernelMatchesReferenceAndReconstruction(CompressedLayer layer, Random rnd) {
        int rows = layer.rows(), cols = layer.cols();
        float[] dense = LortFile.reconstruct(layer);
        var m = new TernaryLowRankMatrix(layer);
        float[] x = new float[cols], y = new float[rows], ref = new float[rows];
        for (int j = 0; j < cols; j++) x[j] = (float) rnd.nextGaussian();
        m.matvec(x, y, 0, rows);
        m.scalarMatvec(x, ref, 0, rows);
        for (int i = 0; i < rows; i++) {
            double want = 0;
            for (int j = 0; j < cols; j++) want += (double) dense[i * cols + j] * x[j];
            assertThat((double) y[i]).isCloseTo(want, within(1e-3));
            assertThat(ref[i]).isCloseTo(y[i], within(1e-3f));
        }
    }
}
