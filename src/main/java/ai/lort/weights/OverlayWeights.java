package ai.lort.weights;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.kernel.Matrix;
import ai.lort.load.Tensor;
import java.util.Map;
import java.util.Optional;

/**
 * A weight source whose named matrices are replaced (over the original model): how calibration
 * runs the partly compressed model. The map is read on every call, so matrices put into it later
 * are seen. Closing it does not close the base.
 */
public final class OverlayWeights implements WeightSource {
    private final WeightSource base;
    private final Map<String, Matrix> replaced;

    public OverlayWeights(WeightSource base, Map<String, Matrix> replaced) {
        this.base = base;
        this.replaced = replaced;
    }

    @Override public Optional<byte[]> file(String name) { return base.file(name); }

    @Override public boolean has(String tensor) { return replaced.containsKey(tensor) || base.has(tensor); }

    @Override public java.util.Set<String> names() { return base.names(); }

    @Override public Optional<Entry> entry(String name) { return base.entry(name); }

    @Override public Matrix matrix(String name) {
        Matrix m = replaced.get(name);
        return m != null ? m : base.matrix(name);
    }

    @Override public Tensor tensor(String name) {
        if (replaced.containsKey(name)) throw new LortException(name + " is replaced; it has no tensor");
        return base.tensor(name);
    }

    @Override public Optional<CompressedLayer> compressed(String name) {
        return replaced.containsKey(name) ? Optional.empty() : base.compressed(name);
    }

    @Override public Optional<ai.lort.format.QuantizedTensor> quantized(String name) {
        return replaced.containsKey(name) ? Optional.empty() : base.quantized(name);
    }

    @Override public float[] vector(String name) { return base.vector(name); }

    @Override public int rows(String name) { return base.rows(name); }

    @Override public void embedding(String name, int token, float[] out) { base.embedding(name, token, out); }

    @Override public void close() {}
}
