package ai.lort.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.LortException;
import ai.lort.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** tiny-llama3's config.json rewritten in the transformers 4 layout. */
    static final String LLAMA3_OLD_LAYOUT = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 128,
             "intermediate_size": 344, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 512, "max_position_embeddings": 256,
             "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 64, "type": "llama3"},
             "tie_word_embeddings": false, "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2}
            """;

    @Test
    void bothConfigLayoutsGiveTheSameConfig() throws Exception {
        Path dir = SharedData.require("models/tiny-llama3");
        ModelConfig current = ModelConfig.parse(Files.readAllBytes(dir.resolve("config.json")), null);
        ModelConfig older = ModelConfig.parse(utf8(LLAMA3_OLD_LAYOUT), null);
        assertThat(older).isEqualTo(current);
        assertThat(current.rope()).isEqualTo(new ModelConfig.Rope("llama3", 500000.0, 8, 1, 4, 64));
        assertThat(current.headDim()).isEqualTo(32);
    }

    @Test
    void defaultsWhenKeysAreAbsent() {
        ModelConfig c = ModelConfig.parse(utf8("""
                {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 64,
                 "intermediate_size": 100, "num_hidden_layers": 1, "num_attention_heads": 8, "vocab_size": 10,
                 "sliding_window": 4096, "eos_token_id": 2}"""), null);
        assertThat(c.kvHeads()).isEqualTo(8);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.rope()).isEqualTo(ModelConfig.Rope.plain(10000));
        assertThat(c.slidingWindow()).isEqualTo(4096);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6f);
    }

    @Test
    void eosIdsComeFromBothFilesListsIncluded() {
        ModelConfig c = ModelConfig.parse(utf8("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 1,
                 "num_attention_heads": 8, "vocab_size": 10, "eos_token_id": [128001, 128008]}"""),
                utf8("{\"eos_token_id\": [128001, 128009], \"bos_token_id\": 128000}"));
        assertThat(c.eosIds()).isEqualTo(Set.of(128001, 128008, 128009));
        assertThat(c.bosId()).isEqualTo(128000);
        assertThat(c.isEos(128009)).isTrue();
    }

    @Test
    void unsupportedArchitectureIsNamed() {
        assertThatThrownBy(() -> ModelConfig.parse(utf8("{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\"}"), null))
                .isInstanceOf(LortException.class)
                .hasMessageContaining("GPT2LMHeadModel")
                .hasMessageContaining("compression still works");
    }

    @Test
    void unsupportedRopeTypeIsNamed() {
        assertThatThrownBy(() -> ModelConfig.parse(utf8("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 100,
                 "num_hidden_layers": 1, "num_attention_heads": 8, "vocab_size": 10,
                 "rope_scaling": {"type": "yarn", "factor": 4.0}}"""), null))
                .isInstanceOf(LortException.class).hasMessageContaining("yarn");
    }
}
