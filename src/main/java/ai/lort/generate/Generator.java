package ai.lort.generate;

import ai.lort.model.LlamaModel;
import java.util.function.IntPredicate;

/**
 * Runs a conversation on a model: feeds a prompt (reusing the cached prefix it shares with what
 * the cache already holds, so a chat turn only processes its new tokens), then samples token by
 * token until an end-of-sequence id, the token limit, the end of the context, or the caller says stop.
 */
public final class Generator {
    private final LlamaModel model;
    private final float[] logits;
    private final int[] cached; // token ids whose keys and values are in the cache, by position
    private int cachedCount;

    /** Why generation ended. */
    public enum Stop { EOS, MAX_TOKENS, CONTEXT, CALLER }

    /**
     * @param tokens          the generated ids (the end-of-sequence id excluded)
     * @param reused          prompt tokens whose cache entries were kept from the previous call
     * @param promptNanos     time to process the prompt (without reused tokens)
     * @param firstTokenNanos time from the call to the first sampled token
     * @param decodeNanos     time of the decode steps, one per token after the first
     */
    public record Result(int[] tokens, Stop stop, int promptTokens, int reused, long promptNanos,
                         long firstTokenNanos, long decodeNanos) {
        public double promptTokensPerSecond() { return (promptTokens - reused) / (promptNanos / 1e9); }

        public double generatedTokensPerSecond() { return Math.max(0, tokens.length - 1) / (decodeNanos / 1e9); }
    }

    public Generator(LlamaModel model) {
        this.model = model;
        this.logits = new float[model.vocabSize()];
        this.cached = new int[model.context()];
    }

    public LlamaModel model() { return model; }

    /** Forgets the cache. */
    public void reset() { cachedCount = 0; }

    /**
     * Processes {@code prompt} (the whole conversation so far) and generates up to {@code maxTokens}
     * tokens, handing each to {@code onToken}; it returns false to stop.
     */
    public Result generate(int[] prompt, int maxTokens, Sampler sampler, IntPredicate onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (prompt.length >= model.context())
            throw new ai.lort.LortException("the prompt has " + prompt.length + " tokens, the context only " + model.context() + "; shorten it or give a larger --ctx");
        long start = System.nanoTime();
        int reuse = 0;
        while (reuse < cachedCount && reuse < prompt.length - 1 && cached[reuse] == prompt[reuse]) reuse++;
        model.prefill(prompt, reuse, prompt.length, reuse);
        System.arraycopy(prompt, reuse, cached, reuse, prompt.length - reuse);
        cachedCount = prompt.length;
        model.logits(0, logits);
        long promptNanos = System.nanoTime() - start;

        // Generation stops when the context is full, so no more than a context of tokens comes out.
        int[] out = new int[Math.max(0, Math.min(maxTokens, model.context()))];
        int count = 0;
        long firstToken = 0, decode = 0;
        Stop stop = Stop.MAX_TOKENS;
        int[] one = new int[1];
        while (count < maxTokens) {
            int token = sampler.sample(logits);
            if (count == 0) firstToken = System.nanoTime() - start;
            if (model.config().isEos(token)) { stop = Stop.EOS; break; }
            out[count++] = token;
            if (!onToken.test(token)) { stop = Stop.CALLER; break; }
            if (count == maxTokens) break;
            if (cachedCount >= model.context()) { stop = Stop.CONTEXT; break; }
            long t0 = System.nanoTime();
            one[0] = token;
            model.forward(one, 0, 1, cachedCount, false);
            cached[cachedCount++] = token;
            model.logits(0, logits);
            decode += System.nanoTime() - t0;
        }
        return new Result(java.util.Arrays.copyOf(out, count), stop, prompt.length, reuse, promptNanos, firstToken, decode);
    }
}
