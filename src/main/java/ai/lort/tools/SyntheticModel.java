package ai.lort.tools;

import ai.lort.format.CompressedLayer;
import ai.lort.format.GroupQuant;
import ai.lort.format.Packing;
import ai.lort.format.QuantizedTensor;
import ai.lort.format.ScaleEncoding;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.DType;
import ai.lort.load.SafetensorsWriter.Spec;
import ai.lort.load.SafetensorsWriter;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import ai.lort.util.Half;
import ai.lort.weights.WeightSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A random Llama-family model of a given shape, built in memory: the dense BF16 "original" or its
 * compressed form (every projection ternary + rank-r FP16 factors), with the same bytes per weight
 * as a {@code .lort} file: format 1.0's encodings (t2-g64 codes, float32 scales, the embedding
 * dense) or, with {@code defaults}, those the defaults write (t3-b5 codes, row-f16 scales, the
 * Hadamard rotation, the tied embedding/head in q4-g32). For speed comparisons on machines where no
 * checkpoint can travel, and for CPU-vs-GPU checks of the ternary kernel; and written to disk as a
 * safetensors checkpoint ({@link #main}) for the whole-run benchmarks. The weights mean nothing.
 */
public final class SyntheticModel implements WeightSource {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The 81 bytes whose four 2-bit codes are all valid (0, 1 or 2). */
    private static final byte[] VALID = new byte[81];

    static {
        for (int i = 0; i < 81; i++) VALID[i] = (byte) (i % 3 | (i / 3 % 3) << 2 | (i / 9 % 3) << 4 | (i / 27) << 6);
    }

    /** A model shape (Qwen2 style: q/k/v biases when {@code qkvBias}; tied embeddings). */
    public record Shape(String name, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                        int vocab, boolean qkvBias) {
        public String configJson() {
            return String.format(Locale.ROOT, """
                    {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": %d,
                     "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                     "num_key_value_heads": %d, "head_dim": %d, "vocab_size": %d, "max_position_embeddings": 4096,
                     "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
                     "bos_token_id": 1, "eos_token_id": -1}""", hidden, intermediate, layers, heads, kvHeads, headDim, vocab);
        }
    }

    /** Qwen2.5-0.5B: 24 layers, hidden 896, MLP 4864, 14 heads, 2 kv heads, vocabulary 151936. */
    public static final Shape QWEN25_05B = new Shape("Qwen2.5-0.5B", 896, 4864, 24, 14, 2, 64, 151936, true);
    /** Qwen2.5-0.5B's widths with 2 layers and a small vocabulary: a quick CPU-vs-GPU check at real sizes. */
    public static final Shape QWEN25_05B_SMALL = new Shape("Qwen2.5-0.5B-widths", 896, 4864, 2, 14, 2, 64, 4096, true);
    /** Tiny, with widths that are not multiples of 64 (padding in every ternary row) and head_dim 8, like stories260K. */
    public static final Shape TINY = new Shape("tiny-synthetic", 64, 172, 2, 8, 4, 8, 512, true);

    /**
     * Writes a random model of {@code shape}, {@code layers} layers deep, as BF16 safetensors in two
     * shards with an index and a config.json: what the whole-run benchmarks compress and run.
     * Usage: {@code SyntheticModel [folder [layers]]} (default: bench/out/qwen2.5-0.5b-shaped, Qwen2.5-0.5B's 24 layers).
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/out/qwen2.5-0.5b-shaped");
        writeCheckpoint(dir, QWEN25_05B, args.length > 1 ? Integer.parseInt(args[1]) : QWEN25_05B.layers());
        System.out.println("wrote " + dir);
    }

    /** The checkpoint of {@link #main} for any shape (tied embeddings, q/k/v biases). */
    public static void writeCheckpoint(Path dir, Shape shape, int layers) throws IOException {
        Files.createDirectories(dir);
        int hidden = shape.hidden(), inter = shape.intermediate(), heads = shape.heads(), kvHeads = shape.kvHeads(), vocab = shape.vocab();
        int kv = shape.kvHeads() * shape.headDim();
        List<Spec> first = new ArrayList<>(), second = new ArrayList<>();
        first.add(new Spec("model.embed_tokens.weight", DType.BF16, vocab, hidden));
        for (int l = 0; l < layers; l++) {
            List<Spec> s = l < layers / 2 ? first : second;
            String p = "model.layers." + l + ".";
            s.add(new Spec(p + "input_layernorm.weight", DType.BF16, hidden));
            s.add(new Spec(p + "self_attn.q_proj.weight", DType.BF16, hidden, hidden));
            s.add(new Spec(p + "self_attn.q_proj.bias", DType.BF16, hidden));
            s.add(new Spec(p + "self_attn.k_proj.weight", DType.BF16, kv, hidden));
            s.add(new Spec(p + "self_attn.k_proj.bias", DType.BF16, kv));
            s.add(new Spec(p + "self_attn.v_proj.weight", DType.BF16, kv, hidden));
            s.add(new Spec(p + "self_attn.v_proj.bias", DType.BF16, kv));
            s.add(new Spec(p + "self_attn.o_proj.weight", DType.BF16, hidden, hidden));
            s.add(new Spec(p + "post_attention_layernorm.weight", DType.BF16, hidden));
            s.add(new Spec(p + "mlp.gate_proj.weight", DType.BF16, inter, hidden));
            s.add(new Spec(p + "mlp.up_proj.weight", DType.BF16, inter, hidden));
            s.add(new Spec(p + "mlp.down_proj.weight", DType.BF16, hidden, inter));
        }
        second.add(new Spec("model.norm.weight", DType.BF16, hidden));
        SplittableRandom rnd = new SplittableRandom(1234);
        StringBuilder map = new StringBuilder();
        List<List<Spec>> shards = List.of(first, second);
        for (int k = 0; k < 2; k++) {
            String name = String.format("model-%05d-of-00002.safetensors", k + 1);
            try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve(name), shards.get(k), Map.of("format", "pt"))) {
                for (Spec s : shards.get(k)) {
                    w.write(randomBf16(s, rnd));
                    map.append(map.isEmpty() ? "" : ",\n    ").append('"').append(s.name()).append("\": \"").append(name).append('"');
                }
            }
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\n  \"metadata\": {},\n  \"weight_map\": {\n    " + map + "\n  }\n}\n");
        Files.writeString(dir.resolve("config.json"), """
                {
                  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
                  "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                  "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d,
                  "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                  "hidden_act": "silu", "tie_word_embeddings": true, "torch_dtype": "bfloat16",
                  "bos_token_id": 151643, "eos_token_id": 151643
                }
                """.formatted(hidden, inter, layers, heads, kvHeads, vocab));
    }

    private static byte[] randomBf16(Spec s, SplittableRandom rnd) {
        long n = 1;
        for (long d : s.shape()) n *= d;
        ByteBuffer bb = ByteBuffer.allocate((int) n * 2).order(ByteOrder.LITTLE_ENDIAN);
        boolean norm = s.name().endsWith("norm.weight");
        for (long i = 0; i < n; i++) {
            float v = norm ? 1f + 0.1f * (float) rnd.nextGaussian() : 0.02f * (float) rnd.nextGaussian();
            bb.putShort(Half.floatToBf16(v));
        }
        return bb.array();
    }

    private final Shape shape;
    private final int rank;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> dense = new HashMap<>();
    private final Map<String, CompressedLayer> compressed = new HashMap<>();
    private final Map<String, float[]> vectors = new HashMap<>();
    private final Map<String, QuantizedTensor> quantized = new HashMap<>();
    private final boolean defaults;

    /**
     * @param rank -1 for the dense BF16 original; otherwise the rank of every compressed projection
     */
    public SyntheticModel(Shape shape, int rank, long seed) { this(shape, rank, seed, false); }

    /**
     * @param rank     -1 for the dense BF16 original; otherwise the rank of every compressed projection
     * @param defaults the compressed form in the encodings the defaults write (t3-b5, row-f16,
     *                 Hadamard, q4-g32 embedding/head) rather than format 1.0's
     */
    public SyntheticModel(Shape shape, int rank, long seed, boolean defaults) {
        this.shape = shape;
        this.rank = rank;
        this.defaults = defaults && rank >= 0;
        SplittableRandom rnd = new SplittableRandom(seed);
        int h = shape.hidden, q = shape.heads * shape.headDim, kv = shape.kvHeads * shape.headDim;
        Tensor embedding = bf16("model.embed_tokens.weight", shape.vocab, h, 1.0f, rnd.split());
        if (this.defaults) {
            quantized.put(embedding.name(), QuantizedTensor.quantize(embedding, GroupQuant.Q4_G32, Runtime.getRuntime().availableProcessors()));
        } else {
            dense.put(embedding.name(), embedding);
        }
        vectors.put("model.norm.weight", ones(h, rnd));
        for (int l = 0; l < shape.layers; l++) {
            String p = "model.layers." + l + ".";
            vectors.put(p + "input_layernorm.weight", ones(h, rnd));
            vectors.put(p + "post_attention_layernorm.weight", ones(h, rnd));
            projection(p + "self_attn.q_proj", q, h, rnd);
            projection(p + "self_attn.k_proj", kv, h, rnd);
            projection(p + "self_attn.v_proj", kv, h, rnd);
            projection(p + "self_attn.o_proj", h, q, rnd);
            projection(p + "mlp.gate_proj", shape.intermediate, h, rnd);
            projection(p + "mlp.up_proj", shape.intermediate, h, rnd);
            projection(p + "mlp.down_proj", h, shape.intermediate, rnd);
            if (shape.qkvBias) {
                vectors.put(p + "self_attn.q_proj.bias", small(q, rnd));
                vectors.put(p + "self_attn.k_proj.bias", small(kv, rnd));
                vectors.put(p + "self_attn.v_proj.bias", small(kv, rnd));
            }
        }
    }

    public Shape shape() { return shape; }

    /** -1 for the dense original. */
    public int rank() { return rank; }

    private void projection(String name, int rows, int cols, SplittableRandom rnd) {
        String w = name + ".weight";
        float std = (float) (1.0 / Math.sqrt(cols));
        if (rank < 0) {
            dense.put(w, bf16(w, rows, cols, std, rnd.split()));
            return;
        }
        if (defaults) {
            defaultsProjection(w, rows, cols, std, rnd);
            return;
        }
        int rb = TernaryPacker.rowBytes(cols);
        MemorySegment codes = arena.allocate((long) rows * rb, 16);
        long seed = rnd.nextLong();
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom g = new SplittableRandom(seed + r);
            long base = (long) r * rb;
            for (int i = 0; i < rb; i++) codes.set(ValueLayout.JAVA_BYTE, base + i, VALID[g.nextInt(81)]);
            for (int c = cols; c < rb * 4; c++) {  // padding weights are zeros: code 1
                long at = base + TernaryPacker.byteIndex(c);
                int shift = TernaryPacker.shift(c);
                byte b = codes.get(ValueLayout.JAVA_BYTE, at);
                codes.set(ValueLayout.JAVA_BYTE, at, (byte) ((b & ~(3 << shift)) | (1 << shift)));
            }
        });
        MemorySegment scales = arena.allocate(4L * rows, 16);
        for (int r = 0; r < rows; r++) scales.setAtIndex(FLOAT_LE, r, std * (0.8f + 0.4f * (float) rnd.nextDouble()));
        MemorySegment a = f16(rank * (long) cols, 0.02f, rnd), b = f16((long) rows * rank, 0.02f, rnd);
        compressed.put(w, new CompressedLayer(w, rows, cols, rank, Packing.T2_G64, scales, a, b, codes));
    }

    /** A projection in the defaults' encodings: random trits packed five to a byte, binary16 scales, a Hadamard rotation. */
    private void defaultsProjection(String w, int rows, int cols, float std, SplittableRandom rnd) {
        int rb = TritPacker.rowBytes(cols);
        MemorySegment codes = arena.allocate((long) rows * rb, 16);
        long seed = rnd.nextLong();
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom g = new SplittableRandom(seed + r);
            byte[] t = new byte[cols];
            for (int c = 0; c < cols; c++) t[c] = (byte) (g.nextInt(3) - 1);
            MemorySegment.copy(MemorySegment.ofArray(TritPacker.pack(t, 1, cols)), 0, codes, (long) r * rb, rb);
        });
        MemorySegment scales = arena.allocate(2L * rows, 16);
        for (int r = 0; r < rows; r++) scales.setAtIndex(SHORT_LE, r, Half.floatToF16(std * (0.8f + 0.4f * (float) rnd.nextDouble())));
        MemorySegment a = f16(rank * (long) cols, 0.02f, rnd), b = f16((long) rows * rank, 0.02f, rnd);
        compressed.put(w, new CompressedLayer(w, rows, cols, rank, Packing.T3_B5, scales, a, b, codes, ScaleEncoding.ROW_F16,
                Hadamard.of(cols, rnd.nextLong())));
    }

    private Tensor bf16(String name, int rows, int cols, float std, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(2L * rows * cols, 16);
        long seed = rnd.nextLong();
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom g = new SplittableRandom(seed + r);
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++)
                s.setAtIndex(SHORT_LE, base + c, Half.floatToBf16((float) (g.nextDouble() * 2 - 1) * 1.7f * std));
        });
        return new Tensor(name, DType.BF16, new long[] {rows, cols}, s);
    }

    private MemorySegment f16(long count, float std, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(2 * count, 16);
        for (long i = 0; i < count; i++) s.setAtIndex(SHORT_LE, i, Half.floatToF16((float) (rnd.nextDouble() * 2 - 1) * 1.7f * std));
        return s;
    }

    private static float[] ones(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 1f + 0.1f * (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    private static float[] small(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.02f * (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    @Override
    public Optional<byte[]> file(String name) {
        return name.equals("config.json") ? Optional.of(shape.configJson().getBytes(StandardCharsets.UTF_8)) : Optional.empty();
    }

    @Override
    public boolean has(String tensor) {
        return dense.containsKey(tensor) || compressed.containsKey(tensor) || vectors.containsKey(tensor) || quantized.containsKey(tensor);
    }

    @Override
    public java.util.Set<String> names() {
        java.util.Set<String> all = new java.util.HashSet<>(dense.keySet());
        all.addAll(compressed.keySet());
        all.addAll(vectors.keySet());
        all.addAll(quantized.keySet());
        return all;
    }

    @Override
    public Optional<Entry> entry(String name) {
        if (compressed.containsKey(name)) return Optional.of(new Entry(new long[] {compressed.get(name).rows(), compressed.get(name).cols()}, null));
        if (dense.containsKey(name)) return Optional.of(new Entry(dense.get(name).shape(), dense.get(name).dtype()));
        if (vectors.containsKey(name)) return Optional.of(new Entry(new long[] {vectors.get(name).length}, DType.F32));
        if (quantized.containsKey(name)) return Optional.of(new Entry(new long[] {quantized.get(name).rows(), quantized.get(name).cols()}, null, true));
        return Optional.empty();
    }

    @Override
    public Matrix matrix(String name) {
        CompressedLayer c = compressed.get(name);
        if (c != null) return Matrices.compressed(c);
        QuantizedTensor q = quantized.get(name);
        return q != null ? Matrices.quantized(q) : Matrices.dense(tensor(name));
    }

    @Override
    public float[] vector(String name) {
        float[] v = vectors.get(name);
        if (v == null) throw new IllegalArgumentException("no vector " + name);
        return v.clone();
    }

    @Override
    public int rows(String name) {
        CompressedLayer c = compressed.get(name);
        if (c != null) return c.rows();
        QuantizedTensor q = quantized.get(name);
        return q != null ? q.rows() : tensor(name).rows();
    }

    @Override
    public void embedding(String name, int token, float[] out) {
        QuantizedTensor q = quantized.get(name);
        if (q != null) q.dequantizeRow(token, out);
        else tensor(name).readFloats((long) token * out.length, out);
    }

    @Override
    public Optional<QuantizedTensor> quantized(String name) { return Optional.ofNullable(quantized.get(name)); }

    @Override
    public Optional<CompressedLayer> compressed(String name) { return Optional.ofNullable(compressed.get(name)); }

    @Override
    public java.util.Collection<CompressedLayer> compressedLayers() { return compressed.values(); }

    @Override
    public Tensor tensor(String name) {
        Tensor t = dense.get(name);
        if (t == null) throw new IllegalArgumentException("no dense tensor " + name);
        return t;
    }

    @Override
    public void close() { arena.close(); }
}
