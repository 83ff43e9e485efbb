package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.model.ModelConfig;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Healing says up front, with the heap to ask for, when a model's healing cannot fit the JVM's heap. */
class HeapShortfallTest {
    private static ModelConfig config(int hidden, int vocab) {
        String json = """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d,
                 "intermediate_size": %d, "num_hidden_layers": 2, "num_attention_heads": 8,
                 "num_key_value_heads": 8, "vocab_size": %d, "max_position_embeddings": 256,
                 "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": true}
                """.formatted(hidden, 4 * hidden, vocab);
        return ModelConfig.parse(json.getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void aSmallModelFitsAndAnEmbeddingLargerThanTheHeapDoesNot() {
        assertThat(Healer.heapShortfall(config(64, 512), false, Map.of(), HealOptions.defaults())).isNull();
        // 8192 x 1,000,000 floats: 32 GB for the embedding alone.
        String why = Healer.heapShortfall(config(8192, 1_000_000), false, Map.of(), HealOptions.defaults());
        assertThat(why).contains("GB of heap").containsPattern("LORT_HEAP=\\d+g");
        long asked = Long.parseLong(why.replaceAll(".*LORT_HEAP=(\\d+)g.*", "$1"));
        assertThat(asked << 30).isGreaterThan(4L * 8192 * 1_000_000);
    }
}
