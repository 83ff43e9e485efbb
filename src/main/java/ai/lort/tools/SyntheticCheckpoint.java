package ai.lort.tools;

import ai.lort.load.DType;
import ai.lort.load.SafetensorsWriter.Spec;
import ai.lort.load.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random model with the shapes of Qwen2.5-0.5B (hidden 896, intermediate 4864, 24 layers,
 * 14 heads, 2 KV heads, vocab 151936, tied embeddings, q/k/v biases) as BF16 in two shards with an
 * index and a config.json, for benchmarks. Usage: {@code SyntheticCheckpoint <folder> [layers]}.
 */
public final class SyntheticCheckpoint {
    static final int HIDDEN = 896, INTER = 4864, HEADS = 14, KV_HEADS = 2, VOCAB = 151936;

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/out/qwen2.5-0.5b-shaped");
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 24;
        Files.createDirectories(dir);
        int kv = HIDDEN / HEADS * KV_HEADS;
        List<Spec> first = new ArrayList<>(), second = new ArrayList<>();
        first.add(new Spec("model.embed_tokens.weight", DType.BF16, VOCAB, HIDDEN));
        for (int l = 0; l < layers; l++) {
            List<Spec> s = l < layers / 2 ? first : second;
            String p = "model.layers." + l + ".";
            s.add(new Spec(p + "input_layernorm.weight", DType.BF16, HIDDEN));
            s.add(new Spec(p + "self_attn.q_proj.weight", DType.BF16, HIDDEN, HIDDEN));
            s.add(new Spec(p + "self_attn.q_proj.bias", DType.BF16, HIDDEN));
            s.add(new Spec(p + "self_attn.k_proj.weight", DType.BF16, kv, HIDDEN));
            s.add(new Spec(p + "self_attn.k_proj.bias", DType.BF16, kv));
            s.add(new Spec(p + "self_attn.v_proj.weight", DType.BF16, kv, HIDDEN));
            s.add(new Spec(p + "self_attn.v_proj.bias", DType.BF16, kv));
            s.add(new Spec(p + "self_attn.o_proj.weight", DType.BF16, HIDDEN, HIDDEN));
            s.add(new Spec(p + "post_attention_layernorm.weight", DType.BF16, HIDDEN));
            s.add(new Spec(p + "mlp.gate_proj.weight", DType.BF16, INTER, HIDDEN));
            s.add(new Spec(p + "mlp.up_proj.weight", DType.BF16, INTER, HIDDEN));
            s.add(new Spec(p + "mlp.down_proj.weight", DType.BF16, HIDDEN, INTER));
        }
        second.add(new Spec("model.norm.weight", DType.BF16, HIDDEN));
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
                """.formatted(HIDDEN, INTER, layers, HEADS, KV_HEADS, VOCAB));
        System.out.println("wrote " + dir);
    }

    private static byte[] randomBf16(Spec s, SplittableRandom rnd) {
        long n = 1;
        for (long d : s.shape()) n *= d;
        ByteBuffer bb = ByteBuffer.allocate((int) n * 2).order(ByteOrder.LITTLE_ENDIAN);
        boolean norm = s.name().endsWith("norm.weight");
        for (long i = 0; i < n; i++) {
            float v = norm ? 1f + 0.1f * (float) rnd.nextGaussian() : 0.02f * (float) rnd.nextGaussian();
            bb.putShort(ai.lort.util.Half.floatToBf16(v));
        }
        return bb.array();
    }
}
