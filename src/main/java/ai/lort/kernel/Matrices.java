package ai.lort.kernel;

import ai.lort.format.CompressedLayer;
import ai.lort.load.Tensor;

/**
 * Picks the {@link Matrix} implementation for a weight: dense F32/F16/BF16 tensors and compressed
 * (ternary + low-rank) layers. The forward pass only ever asks this factory.
 */
public final class Matrices {
    private Matrices() {}

    /** A dense 2-D tensor (F32, F16 or BF16) used in place. */
    public static Matrix dense(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException(t + " is not a matrix");
        // Placeholder scalar implementation; replaced by the Vector API kernels.
        int rows = t.rows(), cols = t.cols();
        return new Matrix() {
            public int rows() { return rows; }
            public int cols() { return cols; }
            public long weightBytes() { return t.byteSize(); }
            public void matvec(float[] x, float[] y, int from, int to) {
                for (int r = from; r < to; r++) {
                    float acc = 0;
                    long base = (long) r * cols;
                    for (int c = 0; c < cols; c++) acc += t.getFloat(base + c) * x[c];
                    y[r] = acc;
                }
            }
        };
    }

    /** A compressed layer, run from its packed form. */
    public static Matrix compressed(CompressedLayer layer) {
        throw new UnsupportedOperationException("ternary kernel not implemented yet");
    }
}
