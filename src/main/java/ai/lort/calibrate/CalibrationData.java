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

    /**
     * {@code samples} sequences sampled by {@code model} from BOS at temperature 1 (sample i with
     * seed {@code seed + i}), each {@code length} tokens including BOS, or shorter when the model
     * ends it (EOS, or BOS starting a new document).
     */
    public static List<int[]> generate(LlamaModel model, int bos, int samples, int length, long seed) {
        List<int[]> out = new ArrayList<>();
        float[] logits = new float[model.vocabSize()];
        int len = Math.min(length, model.context());
        for (int s = 0; s < samples; s++) {
            Sampler sampler = new Sampler(1f, 1f, 0, seed + s);
            int[] ids = new int[len];
            ids[0] = bos;
            int n = 1;
            while (n < len) {
                model.forward(ids, n - 1, 1, n - 1, false);
                model.logits(0, logits);
                int next = sampler.sample(logits);
                if (next == bos || model.config().isEos(next)) break;
                ids[n++] = next;
            }
            if (n >= 2) out.add(java.util.Arrays.copyOf(ids, n));
        }
        return out;
    }
}
