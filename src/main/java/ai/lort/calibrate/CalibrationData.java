package ai.lort.calibrate;

import ai.lort.generate.Sampler;
import ai.lort.model.LlamaModel;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.util.Parallel;
import ai.lort.util.ProgressBar;
import java.util.ArrayList;
import java.util.List;

/**
 * Calibration sequences (token ids, each starting from position 0): the documents of a text file,
 * or text the original model samples itself from BOS.
 */
public final class CalibrationData {
    /** A line holding only this separates documents (the TinyStories convention). */
    public static final String DOCUMENT_SEPARATOR = "<|endoftext|>";

    private CalibrationData() {}

    /** Documents of {@code text}: split at separator lines, stripped, empty ones dropped. */
    public static List<String> documents(String text) {
        List<String> docs = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.strip().equals(DOCUMENT_SEPARATOR)) {
                add(docs, cur);
                cur.setLength(0);
            } else {
                cur.append(line).append('\n');
            }
        }
        add(docs, cur);
        return docs;
    }

    private static void add(List<String> docs, StringBuilder cur) {
        String d = cur.toString().strip();
        if (!d.isEmpty()) docs.add(d);
    }

    /**
     * The first {@code maxSamples} documents (all when ≤ 0), each tokenized with the model's special
     * tokens (BOS) and cut at {@code maxLength} tokens.
     */
    public static List<int[]> fromText(Tokenizer tokenizer, String text, int maxSamples, int maxLength) {
        List<int[]> out = new ArrayList<>();
        for (String d : documents(text)) {
            if (maxSamples > 0 && out.size() == maxSamples) break;
            int[] ids = tokenizer.encode(d, true);
            if (ids.length > maxLength) ids = java.util.Arrays.copyOf(ids, maxLength);
            if (ids.length >= 2) out.add(ids);
        }
        return out;
    }

    /**
     * At most this many sequences are sampled side by side (and at most the model's batch): more
     * share each decoding of the weights, but each needs its own KV cache. 64, the default sample
     * count, so that the default sample decodes the weights once per position.
     */
    static final int LOCKSTEP = 64;
    /** The KV caches of one group take at most this share of the heap (Qwen2.5-0.5B: 6.3 MB a sequence at 256 tokens). */
    private static final int CACHE_HEAP_SHARE = 4;

    /**
     * {@code samples} sequences sampled by {@code model} from BOS at temperature 1 (sample i with
     * seed {@code seed + i}), each {@code length} tokens including BOS, or shorter when the model
     * ends it (EOS, or BOS starting a new document). Up to {@link #LOCKSTEP} are decoded at once
     * (fewer where their KV caches would take more than a quarter of the heap); the sequences'
     * draws from the logits run on {@code threads} threads, each sequence with its own sampler,
     * so the tokens do not depend on the thread count.
     */
    public static List<int[]> generate(LlamaModel model, int bos, int samples, int length, long seed, int threads) {
        return generate(model, bos, samples, length, seed, threads, null).stream().map(Sampled::ids).toList();
    }

    /** A sampled sequence and its sample index (its seed is the base seed + index). */
    public record Sampled(int index, int[] ids) {}

    /** Sees the logits a sampled token was drawn from. */
    @FunctionalInterface
    public interface LogitsSink {
        /**
         * The model's logits at {@code position} of sample {@code sample} (those that predict the
         * token at position + 1), before the draw; called on any thread, once per position.
         */
        void accept(int sample, int position, float[] logits);
    }

    /**
     * {@link #generate}, showing {@code sink} (when not null) the logits of every position that is
     * sampled: a sequence's positions 0 .. length − 2, and its last position too when the model
     * ended it there (the logits that drew EOS or BOS). Samples shorter than 2 tokens are left out.
     */
    public static List<Sampled> generate(LlamaModel model, int bos, int samples, int length, long seed, int threads, LogitsSink sink) {
        return generate(model, bos, samples, length, seed, threads, sink, null);
    }

    /** {@link #generate}, counting sampled positions (samples × (length − 1) in all) on {@code progress} when not null. */
    public static List<Sampled> generate(LlamaModel model, int bos, int samples, int length, long seed, int threads, LogitsSink sink,
                                         ProgressBar progress) {
        List<Sampled> out = new ArrayList<>();
        int len = Math.min(length, model.context());
        long fit = Runtime.getRuntime().maxMemory() / CACHE_HEAP_SHARE / model.lockstepBytesPerSequence();
        int group = (int) Math.max(1, Math.min(Math.min(LOCKSTEP, model.batch()), fit));
        int workers = Math.max(1, Math.min(threads, group));
        float[][] logits = new float[workers][model.vocabSize()];
        for (int first = 0; first < samples; first += group) {
            int count = Math.min(group, samples - first), grain = (count + workers - 1) / workers;
            LlamaModel.Lockstep lockstep = model.lockstep(count);
            Sampler[] samplers = new Sampler[count];
            int[][] ids = new int[count][len];
            int[] lengths = new int[count], next = new int[count];
            boolean[] ended = new boolean[count];
            for (int s = 0; s < count; s++) {
                samplers[s] = new Sampler(1f, 1f, 0, seed + first + s);
                ids[s][0] = bos;
                lengths[s] = 1;
                next[s] = bos;
            }
            int base = first;
            for (int pos = 0; pos < len - 1 && !allTrue(ended); pos++) {
                model.forwardLockstep(lockstep, next, pos);
                int at = pos;
                // Ended sequences are still decoded with the others; their tokens are ignored.
                Parallel.forRanges(count, grain, workers, (from, to) -> {
                    float[] row = logits[from / grain];
                    for (int s = from; s < to; s++) {
                        if (ended[s]) continue;
                        model.logits(s, row);
                        if (sink != null) sink.accept(base + s, at, row);
                        int token = samplers[s].sample(row);
                        if (token == bos || model.config().isEos(token)) {
                            ended[s] = true;
                        } else {
                            ids[s][lengths[s]++] = token;
                            next[s] = token;
                        }
                    }
                });
                if (progress != null) progress.update((long) first * (len - 1) + (long) (pos + 1) * count);
            }
            if (progress != null) progress.update((long) (first + count) * (len - 1));
            for (int s = 0; s < count; s++) if (lengths[s] >= 2) out.add(new Sampled(first + s, java.util.Arrays.copyOf(ids[s], lengths[s])));
        }
        return out;
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean f : flags) if (!f) return false;
        return true;
    }
}
