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

    /** A compressed layer, run from its packed form. */
    public static Matrix compressed(CompressedLayer layer) {
        return new TernaryLowRankMatrix(layer);
    }
}
