package ai.lort.engine.cpu;

import java.util.Random;
import jdk.incubator.vector.FloatVector;

/** Random inputs for the op tests, and the vector length the kernels run with. */
final class OpTesting {
    /** Floats per vector (16 with AVX-512, 8 in the 256-bit rerun). */
    static final int VL = FloatVector.SPECIES_PREFERRED.length();

    private OpTesting() {}

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    static float[][] gaussian(Random rnd, int rows, int cols, double scale) {
        float[][] a = new float[rows][];
        for (int r = 0; r < rows; r++) a[r] = gaussian(rnd, cols, scale);
        return a;
    }

    /**
     * Sizes around whole vectors: 1, VL - 1, VL, VL + 1, 4·VL - 1 (one short of the four-vector
     * blocks), 4·VL + 3, and a few that are neither.
     */
    static int[] awkwardSizes() {
        return new int[] {1, 3, VL - 1, VL, VL + 1, 2 * VL + 5, 4 * VL - 1, 4 * VL, 4 * VL + 3, 100, 257};
    }

    /**
     * The bound on the difference of two float evaluations of {@code Σ a·b} over n terms, in any
     * order, fused or not: each is within {@code n·u·Σ|a·b|} of the exact sum (u = 2^-24), so
     * twice that between them.
     */
    static double sumBound(int n, double absSum) {
        return 2.0 * n * 0x1p-24 * absSum;
    }
}
