package ai.lort.weights;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.format.QuantizedTensor;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.Tensor;
import java.util.Optional;

/**
 * Weights of a {@code .lort} file, used in place: compressed layers run through their packed
 * kernel, carried-over tensors as dense ones, and the embedded config/tokenizer files are served
 * from the file itself, so nothing else is needed.
 */
public final class LortWeights implements WeightSource {
    private final LortFile file;

    public LortWeights(LortFile file) { this.file = file; }

    public LortFile file() { return file; }

    @Override
    public Optional<byte[]> file(String name) { return file.file(name); }

    @Override
    public boolean has(String tensor) {
        return file.layers().containsKey(tensor) || file.tensors().containsKey(tensor) || file.quantized().containsKey(tensor);
    }

    @Override
    public java.util.Set<String> names() {
        java.util.Set<String> all = new java.util.LinkedHashSet<>(file.layers().keySet());
        all.addAll(file.tensors().keySet());
        return all;
    }

    @Override
    public Optional<Entry> entry(String name) {
        CompressedLayer l = file.layers().get(name);
        if (l != null) return Optional.of(new Entry(new long[] {l.rows(), l.cols()}, null));
        QuantizedTensor q = file.quantized().get(name); // no file dtype: its encoding is quantized(name)'s
        if (q != null) return Optional.of(new Entry(new long[] {q.rows(), q.cols()}, null));
        Tensor t = file.tensors().get(name);
        return t == null ? Optional.empty() : Optional.of(new Entry(t.shape(), t.dtype()));
    }

    @Override
    public Matrix matrix(String name) {
        CompressedLayer layer = file.layers().get(name);
        if (layer != null) return Matrices.compressed(layer);
        QuantizedTensor q = file.quantized().get(name);
        return q != null ? Matrices.quantized(q) : Matrices.dense(tensor(name));
    }

    @Override
    public float[] vector(String name) {
        Tensor t = tensor(name);
        if (t.rank() != 1) throw new LortException("tensor " + t + " should be a vector; the file does not match its config");
        return t.toFloats();
    }

    @Override
    public int rows(String name) {
        CompressedLayer layer = file.layers().get(name);
        if (layer != null) return layer.rows();
        QuantizedTensor q = file.quantized().get(name);
        return q != null ? q.rows() : tensor(name).rows();
    }

    @Override
    public void embedding(String name, int token, float[] out) {
        if (file.layers().containsKey(name))
            throw new LortException(name + " was compressed, but an embedding table must be kept dense; compress again (embeddings are never selected)");
        QuantizedTensor q = file.quantized().get(name);
        if (q != null) {
            if (token < 0 || token >= q.rows()) throw new LortException("token id " + token + " is outside the vocabulary (0.." + (q.rows() - 1) + ")");
            q.dequantizeRow(token, out);
            return;
        }
        Tensor t = tensor(name);
        if (token < 0 || token >= t.rows()) throw new LortException("token id " + token + " is outside the vocabulary (0.." + (t.rows() - 1) + ")");
        t.readFloats((long) token * t.cols(), out);
    }

    @Override
    public java.util.Collection<CompressedLayer> compressedLayers() { return file.layers().values(); }

    @Override
    public Optional<CompressedLayer> compressed(String name) { return Optional.ofNullable(file.layers().get(name)); }

    @Override
    public Optional<QuantizedTensor> quantized(String name) { return Optional.ofNullable(file.quantized().get(name)); }

    @Override
    public Tensor tensor(String name) {
        if (file.quantized().containsKey(name)) throw new IllegalStateException(name + " is stored group-quantized; ask quantized(name)");
        Tensor t = file.tensors().get(name);
        if (t == null) throw new LortException(file.path() + " has no tensor '" + name + "'; was it compressed from a different architecture?");
        return t;
    }

    @Override
    public void close() { file.close(); }
}
