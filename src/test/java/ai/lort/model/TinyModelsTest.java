package ai.lort.model;

import static ai.lort.testing.ReferenceModels.ints;
import static ai.lort.testing.ReferenceModels.open;
import static ai.lort.testing.ReferenceModels.reference;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.eval.Perplexity;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four tiny random models made by Hugging Face transformers: logits at the reference positions
 * within 1e-3 (a correct float32 forward pass is ~1e-5 off), the same perplexity to 4 decimals and
 * the same greedy continuation.
 */
class TinyModelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void logitsMatchTransformers(String name) throws Exception {
        Path dir = SharedData.require("models/" + name);
        JsonNode ref = reference(dir);
        int[] ids = ints(ref.get("input_ids"));
        JsonNode positions = ref.get("logits").get("positions");
        try (LlamaModel m = open(dir, 2, 7)) { // batch 7: windows straddle the reference positions
            float[] logits = new float[m.vocabSize()];
            double maxDiff = 0;
            int p = 0;
            for (int from = 0; from < ids.length; from += m.batch()) {
                int n = Math.min(m.batch(), ids.length - from);
                m.forward(ids, from, n, from, true);
                for (int i = 0; i < positions.size(); i++) {
                    int pos = positions.get(i).asInt();
                    if (pos < from || pos >= from + n) continue;
                    m.logits(pos - from, logits);
                    JsonNode want = ref.get("logits").get("values").get(i);
                    for (int j = 0; j < want.size(); j++) maxDiff = Math.max(maxDiff, Math.abs(logits[j] - want.get(j).asDouble()));
                    p++;
                }
            }
            System.out.printf("%s: max |logit - reference| = %.3g over %d positions%n", name, maxDiff, p);
            assertThat(p).isEqualTo(positions.size());
            assertThat(maxDiff).isLessThan(1e-3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void perplexityMatchesTransformers(String name) throws Exception {
        Path dir = SharedData.require("models/" + name);
        JsonNode ref = reference(dir);
        int[] ids = ints(ref.get("input_ids"));
        try (LlamaModel m = open(dir, 2, LlamaModel.DEFAULT_BATCH)) {
            Perplexity.Result r = Perplexity.evaluate(m, ids, ids.length, null);
            System.out.printf("%s: %d tokens, mean nll %.7f, perplexity %.6f (reference %.6f)%n",
                    name, r.tokens(), r.meanNll(), r.perplexity(), ref.get("nll").get("perplexity").asDouble());
            assertThat(r.tokens()).isEqualTo(ref.get("nll").get("predicted_tokens").asLong());
            // "Same to 4 decimals": within half a unit of the 4th decimal (rounding both can straddle a boundary).
            assertThat(r.perplexity()).isCloseTo(ref.get("nll").get("perplexity").asDouble(), within(5e-5));
            assertThat(r.meanNll()).isCloseTo(ref.get("nll").get("mean_nll").asDouble(), within(1e-6));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void greedyMatchesTransformers(String name) throws Exception {
        Path dir = SharedData.require("models/" + name);
        JsonNode g = reference(dir).get("greedy");
        int[] prompt = ints(g.get("prompt_ids"));
        int[] want = ints(g.get("new_ids"));
        try (LlamaModel m = open(dir, 2, 4)) {
            Generator gen = new Generator(m);
            int[] got = gen.generate(prompt, want.length, Sampler.greedy(), id -> true).tokens();
            assertThat(got).as(name + " greedy " + Arrays.toString(got)).containsExactly(want);
        }
    }
}
