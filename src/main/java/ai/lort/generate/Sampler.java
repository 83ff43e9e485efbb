package ai.lort.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy at temperature 0, else softmax at the temperature,
 * restricted to the {@code topK} most likely tokens and then to the smallest set whose probability
 * reaches {@code topP} (the order transformers applies them), drawn with a seeded generator.
 * Scratch arrays are allocated on first use and reused.
 */
public final class Sampler {
    private final float temperature, topP;
    private final int topK;
    private final SplittableRandom random;
    private float[] probs = new float[0];
    private long[] keys = new long[0];

    public Sampler(float temperature, float topP, int topK, long seed) {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0: " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1]: " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.topK = Math.max(0, topK);
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() { return new Sampler(0, 1, 0, 0); }

    public int sample(float[] logits) {
        if (temperature == 0) return argmax(logits);
        int v = logits.length;
        if (probs.length != v) { probs = new float[v]; keys = new long[v]; }
        float max = logits[argmax(logits)];
        double sum = 0;
        for (int i = 0; i < v; i++) sum += probs[i] = (float) Math.exp((logits[i] - max) / temperature);
        if (topK == 0 && topP >= 1) return draw(sum);
        int count = candidates(v, sum);
        double kept = 0, total = 0;
        for (int c = 0; c < count; c++) total += probs[index(keys[c])];
        int cut = count;
        for (int c = 0; c < count; c++) { // keys are sorted most likely first
            kept += probs[index(keys[c])];
            if (kept >= topP * total) { cut = c + 1; break; }
        }
        double r = random.nextDouble() * kept;
        for (int c = 0; c < cut; c++) {
            r -= probs[index(keys[c])];
            if (r < 0) return index(keys[c]);
        }
        return index(keys[cut - 1]);
    }

    /**
     * Fills {@code keys[0, count)} with the candidate tokens, most likely first. A key packs the
     * probability's bits (positive floats order like their bits) above the token id, so sorting
     * longs sorts tokens by probability without boxing.
     */
    private int candidates(int v, double sum) {
        int count = 0;
        if (topK > 0 && topK < v) {
            // Keep the k largest in a min-heap of keys.
            for (int i = 0; i < v; i++) {
                long key = key(probs[i], i);
                if (count < topK) { keys[count++] = key; siftUp(count - 1); }
                else if (key > keys[0]) { keys[0] = key; siftDown(count); }
            }
        } else {
            // Tokens below (1 - p) / (v - 1) of the mass can never be in the top-p set.
            double floor = topP < 1 ? (1 - topP) / (v - 1) * sum : 0;
            for (int i = 0; i < v; i++) if (probs[i] >= floor) keys[count++] = key(probs[i], i);
        }
        Arrays.sort(keys, 0, count);
        for (int a = 0, b = count - 1; a < b; a++, b--) { long t = keys[a]; keys[a] = keys[b]; keys[b] = t; }
        return count;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (keys[parent] <= keys[i]) return;
            long t = keys[parent]; keys[parent] = keys[i]; keys[i] = t;
            i = parent;
        }
    }

    private void siftDown(int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && keys[l] < keys[m]) m = l;
            if (r < size && keys[r] < keys[m]) m = r;
            if (m == i) return;
            long t = keys[m]; keys[m] = keys[i]; keys[i] = t;
            i = m;
        }
    }

    private static long key(float p, int index) {
        return ((long) Float.floatToRawIntBits(p) << 32) | (0xFFFFFFFFL - index); // ties: lower id first
    }

    private static int index(long key) { return (int) (0xFFFFFFFFL - (key & 0xFFFFFFFFL)); }

    private int draw(double sum) {
        double r = random.nextDouble() * sum;
        for (int i = 0; i < probs.length; i++) {
            r -= probs[i];
            if (r < 0) return i;
        }
        return probs.length - 1;
    }

    /** Index of the largest logit, the first one on ties (as torch.argmax). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
