package ai.lort.api;

import ai.lort.LortException;
import java.util.List;
import java.util.OptionalLong;

/**
 * How to generate: how many tokens at most, how to sample them, where to stop. Immutable; made by
 * {@link #builder()}. The defaults are those of {@code lort infer}: 256 tokens, temperature 0.8,
 * top-p 0.95, top-k 40, a random seed, no stop sequences.
 */
public final class GenerationOptions {
    public static final int DEFAULT_MAX_TOKENS = 256;
    public static final float DEFAULT_TEMPERATURE = 0.8f, DEFAULT_TOP_P = 0.95f;
    public static final int DEFAULT_TOP_K = 40;

    private final int maxTokens, topK;
    private final float temperature, topP;
    private final Long seed;
    private final List<String> stop;

    private GenerationOptions(Builder b) {
        maxTokens = b.maxTokens;
        topK = b.topK;
        temperature = b.temperature;
        topP = b.topP;
        seed = b.seed;
        stop = List.copyOf(b.stop);
    }

    public static Builder builder() { return new Builder(); }

    /** The defaults. */
    public static GenerationOptions defaults() { return builder().build(); }

    /** Greedy decoding (temperature 0) of up to {@code maxTokens} tokens: the same tokens every time. */
    public static GenerationOptions greedy(int maxTokens) { return builder().maxTokens(maxTokens).temperature(0).build(); }

    public int maxTokens() { return maxTokens; }

    public float temperature() { return temperature; }

    public float topP() { return topP; }

    /** Sample among the k most likely tokens; 0: all. */
    public int topK() { return topK; }

    /** The sampler's seed, if one was given. */
    public OptionalLong seed() { return seed == null ? OptionalLong.empty() : OptionalLong.of(seed); }

    /** Texts that end the generation when it produces one (not included in the text). */
    public List<String> stop() { return stop; }

    /** Builds {@link GenerationOptions}; {@link #build} checks the values. */
    public static final class Builder {
        private int maxTokens = DEFAULT_MAX_TOKENS, topK = DEFAULT_TOP_K;
        private float temperature = DEFAULT_TEMPERATURE, topP = DEFAULT_TOP_P;
        private Long seed;
        private List<String> stop = List.of();

        private Builder() {}

        /** Most tokens to generate (0 or more). */
        public Builder maxTokens(int n) { maxTokens = n; return this; }

        /** Sampling temperature, 0 (greedy) or more. */
        public Builder temperature(float t) { temperature = t; return this; }

        /** Nucleus sampling: the smallest set of tokens whose probability reaches p, in (0, 1]. */
        public Builder topP(float p) { topP = p; return this; }

        /** Sample among the k most likely tokens; 0: all. */
        public Builder topK(int k) { topK = k; return this; }

        /** A fixed seed: the same seed, options and prompt give the same tokens. */
        public Builder seed(long s) { seed = s; return this; }

        /** Stop sequences (at most 16, none empty). */
        public Builder stop(List<String> sequences) { stop = List.copyOf(sequences); return this; }

        public Builder stop(String... sequences) { return stop(List.of(sequences)); }

        /** @throws LortException when a value is out of range */
        public GenerationOptions build() {
            if (maxTokens < 0) throw new LortException("max tokens must be 0 or more: " + maxTokens);
            if (!(temperature >= 0)) throw new LortException("temperature must be 0 or more: " + temperature);
            if (!(topP > 0 && topP <= 1)) throw new LortException("top-p must be in (0, 1]: " + topP);
            if (topK < 0) throw new LortException("top-k must be 0 or more: " + topK);
            if (stop.size() > 16) throw new LortException("at most 16 stop sequences, not " + stop.size());
            for (String s : stop) if (s.isEmpty()) throw new LortException("a stop sequence is empty");
            return new GenerationOptions(this);
        }
    }
}
