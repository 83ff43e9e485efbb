package ai.lort.weights;

import ai.lort.LortException;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Weights of an uncompressed safetensors model (folder, file or shards), used in place. */
public final class SafetensorsWeights implements WeightSource {
    private final SourceModel model;

    public SafetensorsWeights(SourceModel model) { this.model = model; }

    public SourceModel model() { return model; }

    @Override
    public Optional<byte[]> file(String name) {
        Path p = model.metadataFiles().get(name);
        if (p == null) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public boolean has(String tensor) { return model.tensors().containsKey(tensor); }

    @Override
    public java.util.Set<String> names() { return model.tensors().keySet(); }

    @Override
    public Optional<Entry> entry(String name) {
        Tensor t = model.tensors().get(name);
        return t == null ? Optional.empty() : Optional.of(new Entry(t.shape(), t.dtype()));
    }

    @Override
    public Matrix matrix(String name) { return Matrices.dense(model.tensor(name)); }

    @Override
    public Tensor tensor(String name) { return model.tensor(name); }

    @Override
    public float[] vector(String name) {
        Tensor t = model.tensor(name);
        if (t.rank() != 1) throw new LortException("tensor " + t + " should be a vector; the checkpoint does not match its config");
        return t.toFloats();
    }

    @Override
    public int rows(String name) { return model.tensor(name).rows(); }

    @Override
    public void embedding(String name, int token, float[] out) {
        Tensor t = model.tensor(name);
        if (token < 0 || token >= t.rows()) throw new LortException("token id " + token + " is outside the vocabulary (0.." + (t.rows() - 1) + ")");
        if (t.cols() != out.length) throw new IllegalArgumentException(t + ": row has " + t.cols() + " values, buffer " + out.length);
        t.readFloats((long) token * t.cols(), out);
    }

    @Override
    public void close() { model.close(); }
}
