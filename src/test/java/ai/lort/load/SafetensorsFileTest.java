package ai.lort.load;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import org.junit.jupiter.api.Test;

class SafetensorsFileTest {
    @Test
    void readsStories260K() {
        var dir = SharedData.require("models/stories260K");
        try (SourceModel m = SourceModel.open(LocalModel.resolve(dir))) {
            Tensor t = m.tensor("model.layers.0.self_attn.q_proj.weight");
            assertThat(t.shape()).containsExactly(64, 64);
            assertThat(t.dtype()).isEqualTo(DType.F32);
            assertThat(m.tensors()).hasSize(47); // 5 layers x 9 + embedding + final norm (tied head)
            assertThat(m.metadataFiles()).containsKeys("config.json", "tokenizer.json");
        }
    }
}
