package ai.lort.testing;

import ai.lort.load.DType;
import ai.lort.load.SafetensorsWriter.Spec;
import ai.lort.load.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small Llama-shaped models written by the tests themselves, in any dtype and file layout. */
public final class TestModels {
    private TestModels() {}

    public static final int HIDDEN = 128, INTERMEDIATE = 192, VOCAB = 300;

    /** Tensor specs of a 2-layer Llama-like model. */
    public static List<Spec> llamaSpecs(DType dtype) {
        List<Spec> s = new ArrayList<>();
        s.add(new Spec("model.embed_tokens.weight", dtype, VOCAB, HIDDEN));
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            s.add(new Spec(p + "input_layernorm.weight", dtype, HIDDEN));
            s.add(new Spec(p + "self_attn.q_proj.weight", dtype, HIDDEN, HIDDEN));
            s.add(new Spec(p + "self_attn.k_proj.weight", dtype, 64, HIDDEN));
            s.add(new Spec(p + "self_attn.v_proj.weight", dtype, 64, HIDDEN));
            s.add(new Spec(p + "self_attn.o_proj.weight", dtype, HIDDEN, HIDDEN));
            s.add(new Spec(p + "post_attention_layernorm.weight", dtype, HIDDEN));
            s.add(new Spec(p + "mlp.gate_proj.weight", dtype, INTERMEDIATE, HIDDEN));
            s.add(new Spec(p + "mlp.up_proj.weight", dtype, INTERMEDIATE, HIDDEN));
            s.add(new Spec(p + "mlp.down_proj.weight", dtype, HIDDEN, INTERMEDIATE));
        }
        s.add(new Spec("model.norm.weight", dtype, HIDDEN));
        s.add(new Spec("lm_head.weight", dtype, VOCAB, HIDDEN));
        return s;
    }

    public static void write(Path file, List<Spec> specs, long seed) throws IOException {
        Random rnd = new Random(seed);
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of("format", "pt"))) {
            for (Spec s : specs) {
                long n = 1;
                for (long d : s.shape()) n *= d;
                float[] v = new float[(int) n];
                boolean norm = s.shape().length == 1;
                for (int i = 0; i < v.length; i++) v[i] = norm ? 1f : (float) (rnd.nextGaussian() * 0.05);
                if (s.dtype().isCompressible()) w.writeFloats(v);
                else {
                    byte[] raw = new byte[(int) (n * s.dtype().size())];
                    rnd.nextBytes(raw);
                    w.write(raw);
                }
            }
        }
    }

    /** A single-file model in {@code dir/model.safetensors} plus a config.json. */
    public static Path singleFile(Path dir, DType dtype) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve("model.safetensors"), llamaSpecs(dtype), 1);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\"}");
        return dir;
    }

    /** The same model split into {@code n} shards named model-0000K-of-0000N, with or without an index. */
    public static Path sharded(Path dir, DType dtype, int n, boolean withIndex) throws IOException {
        Files.createDirectories(dir);
        List<Spec> all = llamaSpecs(dtype);
        StringBuilder map = new StringBuilder();
        int per = (all.size() + n - 1) / n;
        for (int k = 0; k < n; k++) {
            List<Spec> part = all.subList(k * per, Math.min(all.size(), (k + 1) * per));
            String name = String.format("model-%05d-of-%05d.safetensors", k + 1, n);
            write(dir.resolve(name), part, 10 + k);
            for (Spec s : part) map.append(map.isEmpty() ? "" : ",").append('"').append(s.name()).append("\":\"").append(name).append('"');
        }
        if (withIndex) Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        return dir;
    }
}
