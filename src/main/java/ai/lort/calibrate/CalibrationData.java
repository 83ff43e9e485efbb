package ai.lort.calibrate;

import ai.lort.run.LlamaModel;
import ai.lort.run.Sampler;
import ai.lort.tokenizer.Tokenizer;
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

    /** Sequences sampled side by side (at most the model's batch): more share each read of the weights, but each needs its own KV cache. */
    static final int LOCKSTEP = 32;

    /**
     * {@code samples} sequences sampled by {@code model} from BOS at temperature 1 (sample i with
     * seed {@code seed + i}), each {@code length} tokens including BOS, or shorter when the model
     * ends it (EOS, or BOS starting a new document). Up to {@link #LOCKSTEP} are decoded at once.
     */
    public static List<int[]> generate(LlamaModel model, int bos, int samples, int length, long seed) {
        List<int[]> out = new ArrayList<>();
        float[] logits = new float[model.vocabSize()];
        int len = Math.min(length, model.context());
        int group = Math.min(LOCKSTEP, model.batch());
        for (int first = 0; first < samples; first += group) {
            int count = Math.min(group, samples - first);
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
            int live = count;
            for (int pos = 0; pos < len - 1 && live > 0; pos++) {
                model.forwardLockstep(lockstep, next, pos);
                for (int s = 0; s < count; s++) {
                    if (ended[s]) continue; // still decoded with the others, its tokens ignored
                    model.logits(s, logits);
                    int token = samplers[s].sample(logits);
                    if (token == bos || model.config().isEos(token)) {
                        ended[s] = true;
                        live--;
                    } else {
                        ids[s][lengths[s]++] = token;
                        next[s] = token;
                    }
                }
            }
            for (int s = 0; s < count; s++) if (lengths[s] >= 2) out.add(java.util.Arrays.copyOf(ids[s], lengths[s]));
        }
        return out;
    }
}
