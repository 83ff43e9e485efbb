package ai.lort.kernel.cuda;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.load.Tensor;
import ai.lort.run.SafetensorsWeights;
import ai.lort.run.WeightSource;
import java.util.Optional;

/**
 * How a device backend reaches the bytes behind a {@link WeightSource} matrix, which the CPU's
 * {@link ai.lort.kernel.Matrix} hides: a dense tensor as the file stores it, or a compressed layer
 * in its packed t2-g64 form, both uploaded unchanged.
 */
public final class DeviceWeights {
    private DeviceWeights() {}

    /**
     * Implemented by weight sources that hold compressed layers (the {@code .lort} reader), so that
     * a GPU backend can upload the packed bytes as they lie in the file.
     */
    public interface Packed {
        /** The compressed layer of this name, or empty when the tensor is stored dense. */
        Optional<CompressedLayer> compressed(String name);

        /** A dense tensor (embeddings, output head, uncompressed matrices). */
        Tensor tensor(String name);
    }

    /** A matrix's bytes: exactly one of {@code dense} and {@code compressed} is non-null. */
    public record Raw(Tensor dense, CompressedLayer compressed) {}

    public static Raw matrix(WeightSource weights, String name) {
        if (weights instanceof Packed p) {
            Optional<CompressedLayer> c = p.compressed(name);
            return c.isPresent() ? new Raw(null, c.get()) : new Raw(p.tensor(name), null);
        }
        return new Raw(tensor(weights, name), null);
    }

    public static Tensor tensor(WeightSource weights, String name) {
        if (weights instanceof Packed p) return p.tensor(name);
        if (weights instanceof SafetensorsWeights s) return s.model().tensor(name);
        throw new LortException("the CUDA backend cannot read weights from " + weights.getClass().getSimpleName() + " yet; use --device cpu");
    }
}
