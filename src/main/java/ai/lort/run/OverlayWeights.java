package ai.lort.run;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.Tensor;
import java.util.Map;
import java.util.Optional;

/**
 * A weight source whose named weights are replaced by compressed layers (over the original
 * model): how calibration runs the partly compressed model. The map is read on every call, so
 * layers put into it later are seen. Closing it does not close the base.
 */
public final class OverlayWeights implements WeightSource {
    private final WeightSource base;
    private final Map<String, CompressedLayer> replaced;

    public OverlayWeights(WeightSource base, Map<String, CompressedLayer> replaced) {
        this.base = base;
        this.replaced = replaced;
    }

    @Override public Optional<byte[]> file(String name) { return base.file(name); }

    @Override public boolean has(String tensor) { return replaced.containsKey(tensor) || base.has(tensor); }

    @Override public Matrix matrix(String name) {
        CompressedLayer l = replaced.get(name);
        return l != null ? Matrices.compressed(l) : base.matrix(name);
    }

    @Override public Tensor tensor(String name) {
        if (replaced.containsKey(name)) throw new LortException(name + " is compressed; it has no dense tensor");
        return base.tensor(name);
    }

    @Override public Optional<CompressedLayer> compressed(String name) {
        CompressedLayer l = replaced.get(name);
        return l != null ? Optional.of(l) : base.compressed(name);
    }

    @Override public float[] vector(String name) { return base.vector(name); }

    @Override public int rows(String name) { return base.rows(name); }

    @Override public void embedding(String name, int token, float[] out) { base.embedding(name, token, out); }

    @Override public void close() {}
}
