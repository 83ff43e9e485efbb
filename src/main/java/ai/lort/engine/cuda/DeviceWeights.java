package ai.lort.engine.cuda;

import ai.lort.format.CompressedLayer;
import ai.lort.format.QuantizedTensor;
import ai.lort.load.Tensor;
import ai.lort.weights.WeightSource;
import java.util.Optional;

/**
 * How a device backend reaches the bytes behind a {@link WeightSource} matrix, which the CPU's
 * {@link ai.lort.kernel.Matrix} hides: a dense tensor as the file stores it, or a compressed layer
 * in its packed form (t2-g64 or t3-b5), or a group-quantized one, all uploaded unchanged.
 */
public final class DeviceWeights {
    private DeviceWeights() {}

    /** A matrix's bytes: exactly one of {@code dense}, {@code compressed} and {@code quantized} is non-null. */
    public record Raw(Tensor dense, CompressedLayer compressed, QuantizedTensor quantized) {}

    public static Raw matrix(WeightSource weights, String name) {
        Optional<CompressedLayer> c = weights.compressed(name);
        if (c.isPresent()) return new Raw(null, c.get(), null);
        Optional<QuantizedTensor> q = weights.quantized(name);
        return q.isPresent() ? new Raw(null, null, q.get()) : new Raw(weights.tensor(name), null, null);
    }

    public static Tensor tensor(WeightSource weights, String name) { return weights.tensor(name); }
}
