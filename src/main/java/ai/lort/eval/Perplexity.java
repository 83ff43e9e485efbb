package ai.lort.eval;

import ai.lort.LortException;
import ai.lort.model.LlamaModel;

/**
 * Teacher-forced perplexity: the id stream is cut into consecutive windows of {@code ctx} tokens,
 * each run from an empty cache (position 0), and every token of a window but its first is scored
 * by the log-softmax (float64) of the logits before it. This is the "stream" evaluation of
 * shared/models/stories260K/README.md.
 */
public final class Perplexity {
    private Perplexity() {}

    /** @param tokens scored tokens; {@code meanNll} in nats */
    public record Result(long tokens, double meanNll) {
        public double perplexity() { return Math.exp(meanNll); }

        public String json() {
            return String.format(java.util.Locale.ROOT, "{\"tokens\":%d,\"mean_nll\":%.9f,\"perplexity\":%.9f}", tokens, meanNll, perplexity());
        }
    }

    /** {@code progress} (or null) hears the tokens done so far. */
    public static Result evaluate(LlamaModel model, int[] ids, int ctx, java.util.function.LongConsumer progress) {
        if (ctx < 2) throw new LortException("--ctx must be at least 2 (one token to predict from, one to score)");
        if (ctx > model.context()) throw new LortException("--ctx " + ctx + " exceeds the model's context of " + model.context());
        float[] logits = new float[model.vocabSize()];
        double nll = 0;
        long scored = 0;
        for (int w = 0; w < ids.length; w += ctx) {
            int end = Math.min(ids.length, w + ctx);
            for (int from = w; from < end; from += model.batch()) {
                int n = Math.min(model.batch(), end - from);
                model.forward(ids, from, n, from - w, true);
                for (int r = 0; r < n; r++) {
                    int next = from + r + 1;
                    if (next >= end) break;
                    model.logits(r, logits);
                    if (ids[next] < 0 || ids[next] >= logits.length)
                        throw new LortException("token id " + ids[next] + " is outside the model's vocabulary of " + logits.length);
                    nll += logSumExp(logits) - logits[ids[next]];
                    scored++;
                }
                if (progress != null) progress.accept(from + n);
            }
        }
        if (scored == 0) throw new LortException("nothing to score: the text has fewer than 2 tokens");
        return new Result(scored, nll / scored);
    }

    /**
     * Per-document perplexity: each document its own sequence from position 0 (cut into
     * {@code ctx}-token windows if longer), all scored tokens pooled. This is the "per story"
     * evaluation of shared/models/stories260K/README.md.
     */
    public static Result evaluateDocuments(LlamaModel model, java.util.List<int[]> documents, int ctx) {
        return evaluateDocuments(model, documents, ctx, null);
    }

    /** {@link #evaluateDocuments}, telling {@code progress} (when not null) the tokens of the documents done so far. */
    public static Result evaluateDocuments(LlamaModel model, java.util.List<int[]> documents, int ctx, java.util.function.LongConsumer progress) {
        double nll = 0;
        long scored = 0, done = 0;
        for (int[] d : documents) {
            done += d.length;
            if (d.length < 2) continue;
            Result r = evaluate(model, d, Math.min(ctx, d.length), null);
            nll += r.meanNll() * r.tokens();
            scored += r.tokens();
            if (progress != null) progress.accept(done);
        }
        if (scored == 0) throw new LortException("nothing to score: no document has 2 tokens or more");
        return new Result(scored, nll / scored);
    }

    static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return max + Math.log(sum);
    }
}
