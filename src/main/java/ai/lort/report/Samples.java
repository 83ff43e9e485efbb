package ai.lort.report;

import ai.lort.LortException;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.weights.WeightSource;
import java.util.Optional;

/** The report's generated samples: a greedy continuation of a prompt by a model, on the CPU. */
public final class Samples {
    /** The prompt when none is given: TinyStories' opening, neutral enough for a base model. */
    public static final String DEFAULT_PROMPT = "Once upon a time";
    public static final int DEFAULT_TOKENS = 48;

    private Samples() {}

    /**
     * The text {@code weights} continues {@code prompt} with (greedy, at most {@code tokens}
     * tokens), or empty when the model has no tokenizer or the engine does not run it.
     */
    public static Optional<String> continuation(WeightSource weights, String prompt, int tokens, int threads) {
        if (weights.file("tokenizer.json").isEmpty()) return Optional.empty();
        ModelConfig config;
        Tokenizer tokenizer;
        try {
            config = ModelConfig.load(weights);
            tokenizer = Tokenizer.load(weights::file);
        } catch (LortException e) {
            return Optional.empty();
        }
        int[] ids = tokenizer.encode(prompt, true);
        if (ids.length == 0) return Optional.empty();
        int context = Math.min(config.maxPositions(), ids.length + tokens + 1);
        if (ids.length >= context) return Optional.empty();
        try (LlamaModel m = LlamaModel.load(weights, new CpuBackend(threads), context)) {
            Tokenizer.Decoder decoder = tokenizer.streamDecoder(true, ids);
            StringBuilder text = new StringBuilder();
            new Generator(m).generate(ids, Math.min(tokens, context - ids.length), Sampler.greedy(), id -> {
                text.append(decoder.next(id));
                return true;
            });
            return Optional.of(text.append(decoder.flush()).toString());
        }
    }
}
