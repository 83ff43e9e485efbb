package ai.lort.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.eval.Perplexity;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.testing.ReferenceModels;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** stories260K (a real trained Llama): its README's greedy continuations, final logits and stream perplexity. */
class Stories260KTest {
    static Path dir() { return SharedData.require("models/stories260K"); }

    @Test
    void greedyContinuationsMatchReference() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(dir().resolve("reference.json").toFile());
        try (LlamaModel m = ReferenceModels.open(dir(), 2, LlamaModel.DEFAULT_BATCH)) {
            Generator gen = new Generator(m);
            for (JsonNode g : ref.get("greedy")) {
                int[] prompt = ReferenceModels.ints(g.get("prompt_ids"));
                int[] want = ReferenceModels.ints(g.get("continuation_ids"));
                gen.reset();
                Generator.Result r = gen.generate(prompt, want.length, Sampler.greedy(), id -> true);
                assertThat(r.tokens()).as(g.get("prompt_text").asText() + ": " + Arrays.toString(r.tokens())).containsExactly(want);
                System.out.printf("stories260K '%s': %d tokens, prompt %.0f tok/s, generation %.0f tok/s%n",
                        g.get("prompt_text").asText(), r.tokens().length, r.promptTokensPerSecond(), r.generatedTokensPerSecond());
            }
        }
    }

    @Test
    void finalPositionLogitsMatchReference() throws Exception {
        JsonNode f = new ObjectMapper().readTree(dir().resolve("reference.json").toFile()).get("final_position_logits");
        int[] prompt = ReferenceModels.ints(f.get("prompt_ids"));
        try (LlamaModel m = ReferenceModels.open(dir(), 1, LlamaModel.DEFAULT_BATCH)) {
            m.prefill(prompt, 0, prompt.length, 0);
            float[] logits = new float[m.vocabSize()];
            m.logits(0, logits);
            JsonNode first8 = f.get("first8");
            for (int i = 0; i < first8.size(); i++) assertThat((double) logits[i]).isCloseTo(first8.get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
            for (JsonNode top : f.get("top5")) assertThat((double) logits[top.get(0).asInt()]).isCloseTo(top.get(1).asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        }
    }

    @Test
    void streamPerplexityAt512() throws Exception {
        Path file = SharedData.require("data/tinystories-valid-excerpt.tok512.txt");
        int[] ids = Arrays.stream(Files.readString(file).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        try (LlamaModel m = ReferenceModels.open(dir(), 2, LlamaModel.DEFAULT_BATCH)) {
            Perplexity.Result r = Perplexity.evaluate(m, ids, 512, null);
            System.out.printf("stories260K stream ppl: %d tokens, mean nll %.7f, perplexity %.7f%n", r.tokens(), r.meanNll(), r.perplexity());
            assertThat(r.tokens()).isEqualTo(14845);
            assertThat(String.format(java.util.Locale.ROOT, "%.4f", r.perplexity())).isEqualTo("3.5078");
            assertThat(r.perplexity()).isCloseTo(3.507814, org.assertj.core.data.Offset.offset(5e-6));
        }
    }
}
