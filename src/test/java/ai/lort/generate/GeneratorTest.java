package ai.lort.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.testing.ReferenceModels;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    static JsonNode greedy(Path dir) throws Exception { return ReferenceModels.reference(dir).get("greedy"); }

    @Test
    void stopsAtTheEndOfTheContext() throws Exception {
        Path dir = SharedData.require("models/tiny-llama3");
        int[] prompt = ReferenceModels.ints(greedy(dir).get("prompt_ids"));
        int[] want = ReferenceModels.ints(greedy(dir).get("new_ids"));
        WeightSource w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(dir)));
        try (w; LlamaModel m = LlamaModel.load(w, new CpuBackend(1), prompt.length + 2)) {
            Generator.Result r = new Generator(m).generate(prompt, 30, Sampler.greedy(), id -> true);
            assertThat(r.stop()).isEqualTo(Generator.Stop.CONTEXT);
            assertThat(r.tokens()).containsExactly(Arrays.copyOf(want, 3)); // the last one sampled from the last position's logits
        }
    }

    @Test
    void aFollowUpPromptReusesTheCachedPrefix() throws Exception {
        Path dir = SharedData.require("models/tiny-qwen3");
        int[] prompt = ReferenceModels.ints(greedy(dir).get("prompt_ids"));
        int[] want = ReferenceModels.ints(greedy(dir).get("new_ids"));
        try (LlamaModel m = ReferenceModels.open(dir, 2, 4)) {
            Generator gen = new Generator(m);
            Generator.Result first = gen.generate(prompt, 5, Sampler.greedy(), id -> true);
            // The conversation so far, as a chat would send it next: prompt + reply; the greedy path continues.
            int[] next = IntStream.concat(Arrays.stream(prompt), Arrays.stream(first.tokens())).toArray();
            Generator.Result second = gen.generate(next, 5, Sampler.greedy(), id -> true);
            assertThat(second.reused()).isEqualTo(prompt.length + 4); // the 5th reply token was sampled, never fed
            assertThat(second.tokens()).containsExactly(Arrays.copyOfRange(want, 5, 10));
        }
    }

    @Test
    void theCallerCanStopEarly() throws Exception {
        Path dir = SharedData.require("models/tiny-mistral");
        int[] prompt = ReferenceModels.ints(greedy(dir).get("prompt_ids"));
        try (LlamaModel m = ReferenceModels.open(dir, 1, 8)) {
            int[] seen = new int[1];
            Generator.Result r = new Generator(m).generate(prompt, 30, Sampler.greedy(), id -> ++seen[0] < 4);
            assertThat(r.stop()).isEqualTo(Generator.Stop.CALLER);
            assertThat(r.tokens()).hasSize(4);
        }
    }
}
