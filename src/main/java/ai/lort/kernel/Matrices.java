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
        return switch (t.dtype()) {
            case F32 -> new F32Matrix(t.data(), t.rows(), t.cols());
            case F16 -> new F16Matrix(t.data(), t.rows(), t.cols());
            case BF16 -> new Bf16Matrix(t.data(), t.rows(), t.cols());
            default -> throw new IllegalArgumentException(t + ": no matrix kernel for dtype " + t.dtype());
        };
    }

    /**
     * Gets every kernel compiled by C2 before real work, by running them on tiny synthetic weights;
     * returns the milliseconds spent. Without it the first matvecs run interpreted Vector API code,
     * boxed: seconds each for a large layer. Call once at
     * start-up, e.g. on a background thread while the model is mapped.
     */
    public static long warmUp() {
        return WarmUp.run();
    }

    /** A group-quantized kept matrix (q8-g32, q4-g32), run from its codes. */
    public static Matrix quantized(ai.lort.format.QuantizedTensor t) {
        return new GroupQuantMatrix(t);
    }

    /** A compressed layer, run from its packed form. */
    public static Matrix compressed(CompressedLayer layer) {
        return new TernaryLowRankMatrix(layer);
    }
}
