package ai.lort.api;

/**
 * A finished generation.
 *
 * @param text            the generated text (without the prompt, and without a stop sequence that ended it)
 * @param tokens          the generated token ids (an end-of-sequence id is not included)
 * @param finishReason    why it ended
 * @param promptTokens    tokens of the prompt
 * @param cachedTokens    prompt tokens whose cache entries were kept from an earlier generation
 * @param promptNanos     time spent processing the prompt
 * @param firstTokenNanos time from the request to its first token (queueing included)
 * @param decodeNanos     time of the decode steps after the first token
 */
public record Completion(String text, int[] tokens, FinishReason finishReason, int promptTokens, int cachedTokens,
                         long promptNanos, long firstTokenNanos, long decodeNanos) {
    /** Prompt tokens processed per second (the cached ones left out). */
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : (promptTokens - cachedTokens) / (promptNanos / 1e9);
    }

    /** Tokens generated per second after the first (0 with fewer than two). */
    public double tokensPerSecond() {
        return tokens.length < 2 || decodeNanos == 0 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
    }
}
