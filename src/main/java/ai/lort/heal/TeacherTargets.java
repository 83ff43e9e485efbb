package ai.lort.heal;

import ai.lort.engine.cpu.VectorExp;
import java.util.Arrays;

/**
 * What the teacher predicts at each position of one sequence, kept compactly: its {@code k} most
 * likely next tokens with their probabilities, and the probability left to all the others (the
 * tail). The distillation loss compares the student with this coarsened distribution, which for
 * a 150K-token vocabulary is the only form that fits in memory for many positions.
 *
 * @param ids       the sequence's tokens
 * @param positions positions with a target (the teacher's distribution after token 0 .. positions − 1)
 * @param top       {@code positions × k} token ids, most likely first
 * @param prob      {@code positions × k} their probabilities (the tail's mass is 1 − their sum)
 */
public record TeacherTargets(int[] ids, int positions, int k, int[] top, float[] prob) {
    /** Keeps the top {@code k} of {@code logits} (softmax at temperature 1) as position {@code p} of the arrays. */
    static void keepTop(float[] logits, int vocab, int k, int p, int[] top, float[] prob, Scratch s) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        float[] e = s.exp(vocab);
        System.arraycopy(logits, 0, e, 0, vocab);
        double sum = VectorExp.sumExp(e, 0, vocab, max, true);
        // The k largest by a min-heap on (logit, id) packed into sortable longs.
        long[] heap = s.heap(k);
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            long key = key(logits[i], i);
            if (size < k) {
                heap[size++] = key;
                if (size == k) Arrays.sort(heap, 0, k);
            } else if (key > heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        if (size < k) Arrays.sort(heap, 0, size);
        else Arrays.sort(heap, 0, k);
        for (int j = 0; j < k; j++) {
            int at = p * k + j;
            if (j >= size) {
                top[at] = 0;
                prob[at] = 0;
                continue;
            }
            long key = heap[size - 1 - j];
            int id = (int) (~key & 0xFFFFFFFFL);
            top[at] = id;
            double q = e[id] / sum;
            prob[at] = (float) q;
        }
    }

    /** Orders by logit, then lower id first among equals (so ties are deterministic). */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF); // a signed int in the float's order
        return ((long) sortable << 32) | (~id & 0xFFFFFFFFL);
    }

    private static void siftDown(long[] h, int n) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < n && h[l] < h[m]) m = l;
            if (r < n && h[r] < h[m]) m = r;
            if (m == i) return;
            long t = h[i];
            h[i] = h[m];
            h[m] = t;
            i = m;
        }
    }

    /** Per-thread scratch of {@link #keepTop}. */
    static final class Scratch {
        private long[] heap = new long[0];
        private float[] exp = new float[0];

        float[] exp(int vocab) {
            if (exp.length < vocab) exp = new float[vocab];
            return exp;
        }

        long[] heap(int k) {
            if (heap.length < k) heap = new long[k];
            return heap;
        }
    }
}
