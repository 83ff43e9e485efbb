package ai.lort.engine.cpu;

import ai.lort.engine.Backend.Attention;
import ai.lort.util.WorkerPool;

/**
 * Causal attention with one (token, head) pair per job: token t (at position pos + t) and query
 * head h attend to key positions {@code [first, last]}, into a per-thread score row. One reused
 * instance per kind (a step allocates nothing); the kinds differ in how the keys are read. Every
 * job's arithmetic is the same whichever thread runs it.
 */
abstract class AttentionTask implements WorkerPool.Task {
    float[][] o, qs, vs, scores;
    Attention shape;
    int pos;

    final void set(float[][] o, float[][] qs, float[][] vs, Attention shape, int pos, float[][] scores) {
        this.o = o;
        this.qs = qs;
        this.vs = vs;
        this.shape = shape;
        this.pos = pos;
        this.scores = scores;
    }

    @Override
    public final void run(int from, int to, int worker) {
        int heads = shape.heads();
        float[] att = scores[worker];
        for (int job = from; job < to; job++) {
            int t = job / heads, h = job % heads, last = pos + t;
            attend(t, h, shape.firstSeen(last), last, att);
        }
    }

    abstract void attend(int t, int h, int first, int last, float[] att);

    /**
     * Keys as stored, one position at a time: one dot product per score (a single token, decode).
     * With whole vectors per head, the scores go to {@code att[0, count)} and the softmax's exp
     * and the weighted sum of the values are vector operations, as in {@link Transposed}; tiny
     * heads take the scalar softmax and sum.
     */
    static final class Pair extends AttentionTask {
        private float[][] ks;

        void set(float[][] o, float[][] qs, float[][] ks, float[][] vs, Attention shape, int pos, float[][] scores) {
            set(o, qs, vs, shape, pos, scores);
            this.ks = ks;
        }

        @Override
        void attend(int t, int h, int first, int last, float[] att) {
            int hd = shape.headDim(), qo = h * hd, ko = (h / (shape.heads() / shape.kvHeads())) * hd;
            float scale = shape.scale();
            float[] qv = qs[t];
            if (hd % AttentionKernels.LANES == 0) {
                int count = last - first + 1;
                for (int j = 0; j < count; j++) att[j] = AttentionKernels.dot(qv, qo, ks[first + j], ko, hd) * scale;
                Softmax.softmax(att, count);
                AttentionKernels.weightedSumRows(att, count, vs, first, ko, o[t], qo, hd);
                return;
            }
            for (int s = first; s <= last; s++) att[s] = AttentionKernels.dot(qv, qo, ks[s], ko, hd) * scale;
            Softmax.scalarSoftmax(att, first, last + 1);
            AttentionKernels.weightedSum(att, first, last, vs, ko, o[t], qo, hd);
        }
    }

    /**
     * Keys transposed once per call ({@link AttentionKernels#transposeKeys}, positions from
     * {@code lo}): the scores of VL positions are one vector, softmax's exp is a vector operation,
     * the weighted sum of values keeps up to four slices of the output in registers. Head sizes of
     * whole vectors only.
     */
    static final class Transposed extends AttentionTask {
        private float[][][] kt;
        private int lo;

        void set(float[][] o, float[][] qs, float[][][] kt, int lo, float[][] vs, Attention shape, int pos, float[][] scores) {
            set(o, qs, vs, shape, pos, scores);
            this.kt = kt;
            this.lo = lo;
        }

        @Override
        void attend(int t, int h, int first, int last, float[] att) {
            int hd = shape.headDim(), kv = h / (shape.heads() / shape.kvHeads()), count = last - first + 1;
            AttentionKernels.transposedScores(qs[t], h * hd, kt[kv], first - lo, count, hd, shape.scale(), att);
            Softmax.softmax(att, count);
            AttentionKernels.weightedSumRows(att, count, vs, first, kv * hd, o[t], h * hd, hd);
        }
    }
}
