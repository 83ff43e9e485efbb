package ai.lort.weights;

import ai.lort.format.CompressedLayer;
import ai.lort.kernel.Matrix;
import ai.lort.load.Tensor;
import java.util.Optional;

/**
 * Where the inference engine gets a model's weights and metadata from: a safetensors model
 * ({@link SafetensorsWeights}) or a {@code .lort} file. Tensor names are Hugging Face's
 * ({@code model.layers.0.self_attn.q_proj.weight}). Matrices stay in their mapped (possibly
 * packed) form; only small vectors are copied to the heap.
 */
public interface WeightSource extends AutoCloseable {
    /** A metadata file by name ({@code config.json}, {@code generation_config.json}, tokenizer files). */
    Optional<byte[]> file(String name);

    boolean has(String tensor);

    /** Every weight's name (compressed layers and dense tensors). */
    java.util.Set<String> names();

    /** A weight's dimensions and dtype, or empty when absent. */
    Optional<Entry> entry(String name);

    /**
     * @param dtype     the stored dtype of a dense tensor; null for a compressed layer or a
     *                  group-quantized matrix (dims [out, in])
     * @param quantized a group-quantized matrix: not dense, but its rows can be looked up
     */
    record Entry(long[] shape, ai.lort.load.DType dtype, boolean quantized) {
        public Entry(long[] shape, ai.lort.load.DType dtype) { this(shape, dtype, false); }
    }

    /** A weight matrix, rows × cols = out × in, ready to multiply (dense or compressed kernel). */
    Matrix matrix(String name);

    /** A tensor stored dense, in its file dtype, viewed in place (GPU backends upload these bytes as they are). */
    Tensor tensor(String name);

    /** Every compressed layer (none for an uncompressed model), e.g. to check a backend can run them. */
    default java.util.Collection<CompressedLayer> compressedLayers() { return java.util.List.of(); }

    /** The compressed layer stored under {@code name}, or empty when that weight is dense. */
    default Optional<CompressedLayer> compressed(String name) { return Optional.empty(); }

    /** The kept matrix stored group-quantized under {@code name} (the embedding, the head), or empty. */
    default Optional<ai.lort.format.QuantizedTensor> quantized(String name) { return Optional.empty(); }

    /** A small 1-D tensor (norm weight, bias) copied to heap floats. */
    float[] vector(String name);

    /** Number of rows of a 2-D tensor (the vocabulary of an embedding). */
    int rows(String name);

    /** Row {@code token} of a [vocab × hidden] embedding tensor, read from the mapped file into {@code out}. */
    void embedding(String name, int token, float[] out);

    @Override
    void close();
}
