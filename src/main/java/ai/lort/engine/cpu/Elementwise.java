package ai.lort.engine.cpu;

/** Element-wise sums of rows: the residual connection and bias. */
final class Elementwise {
    private Elementwise() {}

    /** {@code x[i] += y[i]} for i < n. Scalar only: one add per value, the same bits in any order or vector width. */
    static void addInPlace(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
