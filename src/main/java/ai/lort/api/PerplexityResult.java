package ai.lort.api;

/**
 * Perplexity of a model on a text.
 *
 * @param tokens  tokens scored
 * @param meanNll mean negative log-likelihood per scored token, in nats
 */
public record PerplexityResult(long tokens, double meanNll) {
    /** {@code exp(meanNll)}. */
    public double perplexity() { return Math.exp(meanNll); }
}
