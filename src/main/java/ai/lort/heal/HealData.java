package ai.lort.heal;

import ai.lort.calibrate.CalibrationData;
import ai.lort.model.LlamaModel;
import ai.lort.util.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * Distillation data: token sequences with the teacher's next-token distribution at each position
 * ({@link TeacherTargets}). Either sampled by the teacher itself from BOS, which yields the
 * distributions for free (a sampled token is drawn from them), or the documents of a text, run
 * through the teacher once.
 */
public final class HealData {
    private HealData() {}

    /**
     * {@code count} sequences of at most {@code length} tokens sampled by {@code teacher} from
     * {@code bos} at temperature 1 (sample i with seed {@code seed + i}), with the teacher's top
     * {@code k} at every sampled position.
     */
    public static List<TeacherTargets> sample(LlamaModel teacher, int bos, int count, int length, long seed, int threads, int k) {
        int len = Math.min(length, teacher.context()), vocab = teacher.vocabSize();
        int[][] top = new int[count][];
        float[][] prob = new float[count][];
        int[] seen = new int[count];
        ThreadLocal<TeacherTargets.Scratch> scratch = ThreadLocal.withInitial(TeacherTargets.Scratch::new);
        var sampled = CalibrationData.generate(teacher, bos, count, len, seed, threads, (s, pos, logits) -> {
            if (top[s] == null) {
                top[s] = new int[len * k];
                prob[s] = new float[len * k];
            }
            TeacherTargets.keepTop(logits, vocab, k, pos, top[s], prob[s], scratch.get());
            seen[s] = pos + 1;
        });
        List<TeacherTargets> out = new ArrayList<>(sampled.size());
        for (var s : sampled) {
            int i = s.index(), positions = Math.min(seen[i], s.ids().length);
            out.add(new TeacherTargets(s.ids(), positions, k, top[i], prob[i]));
        }
        return out;
    }

    /** The teacher's top {@code k} at every position of each document (token ids from position 0). */
    public static List<TeacherTargets> of(LlamaModel teacher, List<int[]> documents, int k, int threads) {
        int vocab = teacher.vocabSize();
        List<TeacherTargets> out = new ArrayList<>(documents.size());
        float[][] logits = new float[teacher.batch()][vocab];
        TeacherTargets.Scratch[] scratch = new TeacherTargets.Scratch[teacher.batch()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new TeacherTargets.Scratch();
        for (int[] ids : documents) {
            int len = Math.min(ids.length, teacher.context());
            int[] top = new int[len * k];
            float[] prob = new float[len * k];
            for (int from = 0; from < len; from += teacher.batch()) {
                int n = Math.min(teacher.batch(), len - from), at = from;
                teacher.forward(ids, from, n, from, true);
                for (int r = 0; r < n; r++) teacher.logits(r, logits[r]);
                Parallel.forEach(n, 1, threads, r -> TeacherTargets.keepTop(logits[r], vocab, k, at + r, top, prob, scratch[r]));
            }
            out.add(new TeacherTargets(java.util.Arrays.copyOf(ids, len), len, k, top, prob));
        }
        return out;
    }
}
