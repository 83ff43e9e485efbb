package ai.lort.engine.cpu;

import ai.lort.engine.Backend;
import ai.lort.kernel.Lanes;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.PackedBatch;
import ai.lort.util.WorkerPool;
import ai.lort.weights.WeightSource;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: buffers are heap {@code float[rows][cols]}, weights are {@link Matrix} kernels
 * over the mapped file, and every operation that is worth it splits its rows (or its
 * token × head pairs) across one {@link WorkerPool}.
 */
public final class CpuBackend implements Backend {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds below which an operation runs on the calling thread: waking workers costs more than it saves. */
    private static final long PARALLEL_MIN_WORK = 1 << 16;

    private final WorkerPool pool;
    private final MatmulTask matmul = new MatmulTask();
    private final PairAttentionTask pairs = new PairAttentionTask();
    private final TransposedAttentionTask transposed = new TransposedAttentionTask();
    private float[][][] keysT;
    private float[][] scores = new float[0][];

    public CpuBackend(int threads) { this.pool = new WorkerPool(threads); }

    public int threads() { return pool.threads(); }

    record Buf(float[][] data, int rows, int cols) implements Buffer {}

    record CpuWeight(Matrix matrix) implements Weight {
        public int rows() { return matrix.rows(); }

        public int cols() { return matrix.cols(); }
    }

    record Vec(float[] values) implements Vector {}

    record Table(WeightSource weights, String name) implements Embedding {}

    @Override
    public String name() { return "cpu (" + pool.threads() + " threads)"; }

    @Override
    public Buffer buffer(int rows, int cols) { return new Buf(new float[rows][cols], rows, cols); }

    @Override
    public Weight matrix(WeightSource weights, String name) { return new CpuWeight(weights.matrix(name)); }

    @Override
    public Vector vector(float[] values) { return new Vec(values.clone()); }

    @Override
    public Embedding embedding(WeightSource weights, String name) { return new Table(weights, name); }

    private static float[][] rows(Buffer b) { return ((Buf) b).data; }

    private static float[] values(Vector v) { return ((Vec) v).values; }

    @Override
    public void embed(Embedding table, int[] tokens, int from, int n, Buffer out) {
        Table t = (Table) table;
        float[][] o = rows(out);
        for (int i = 0; i < n; i++) t.weights.embedding(t.name, tokens[from + i], o[i]);
    }

    @Override
    public void rmsNorm(Buffer out, Buffer x, Vector weight, float eps, int n) {
        float[][] o = rows(out), in = rows(x);
        float[] w = values(weight);
        for (int t = 0; t < n; t++) rmsNorm(o[t], 0, in[t], 0, w, w.length, eps);
    }

    @Override
    public void headRmsNorm(Buffer x, Vector weight, int headDim, float eps, int n) {
        float[][] a = rows(x);
        float[] w = values(weight);
        for (int t = 0; t < n; t++)
            for (int h = 0; h < x.cols(); h += headDim) rmsNorm(a[t], h, a[t], h, w, headDim, eps);
    }

    private static void rmsNorm(float[] out, int o, float[] x, int xo, float[] w, int size, float eps) {
        double ss = 0;
        for (int i = 0; i < size; i++) ss += (double) x[xo + i] * x[xo + i];
        float inv = (float) (1.0 / Math.sqrt((float) (ss / size) + eps));
        for (int i = 0; i < size; i++) out[o + i] = w[i] * (x[xo + i] * inv);
    }

    @Override
    public void matmul(Buffer out, Weight w, Buffer x, int n) {
        Matrix m = ((CpuWeight) w).matrix;
        float[][] ys = rows(out), xs = rows(x);
        if ((long) m.rows() * m.cols() * n < PARALLEL_MIN_WORK) {
            for (int t = 0; t < n; t++) m.matvec(xs[t], ys[t], 0, m.rows());
            return;
        }
        if (m.takesPacked(n)) {
            one[0] = m;
            oneOut[0] = ys;
            packedMatmul(one, oneOut, 1, xs, n);
            one[0] = null;
            oneOut[0] = null;
            return;
        }
        // One row range per thread: a compressed matrix computes its low-rank input A·x once per call.
        matmul.set(m, xs, ys, n);
        pool.run(m.rows(), pool.threads(), matmul);
    }

    @Override
    public void matmul(Buffer[] outs, Weight[] ws, Buffer x, int n) {
        boolean packed = ws.length <= group.length;
        for (Weight w : ws) {
            Matrix m = ((CpuWeight) w).matrix;
            packed &= m.takesPacked(n) && m.cols() == x.cols() && (long) m.rows() * m.cols() * n >= PARALLEL_MIN_WORK;
        }
        if (!packed) {
            for (int i = 0; i < ws.length; i++) matmul(outs[i], ws[i], x, n);
            return;
        }
        for (int i = 0; i < ws.length; i++) {
            group[i] = ((CpuWeight) ws[i]).matrix;
            groupOut[i] = rows(outs[i]);
        }
        packedMatmul(group, groupOut, ws.length, rows(x), n);
        java.util.Arrays.fill(group, null);
        java.util.Arrays.fill(groupOut, null);
    }

    /**
     * The dense matrices' packed product of {@code count} matrices sharing the input xs: the
     * tokens are packed once (column slices across the threads), then the rows of all the
     * matrices, in units of the kernel's row step, are cut into chunks that the threads claim as
     * they come (every row's arithmetic is the same in any chunk, so the split changes no bit).
     */
    private void packedMatmul(Matrix[] ms, float[][][] ys, int count, float[][] xs, int n) {
        batch.reset(n, ms[0].cols());
        int slices = batch.slices();
        if (pool.threads() == 1 || slices == 1) batch.pack(xs, 0, slices);
        else {
            packTokens = xs;
            pool.run(slices, slices, pack);
            packTokens = null;
        }
        int step = PackedBatch.rowStep(), units = 0;
        for (int i = 0; i < count; i++) {
            unitStart[i] = units;
            units += (ms[i].rows() + step - 1) / step;
        }
        unitStart[count] = units;
        packed.set(ms, ys, count);
        // Chunks of about 8 row blocks' worth of rows, at least 4 per thread: a slow thread's share is taken over.
        int parts = Math.min(units, Math.max(4 * pool.threads(), units / 8));
        pool.run(units, parts, packed);
        packed.set(null, null, 0);
    }

    private final PackedBatch batch = new PackedBatch();
    private final Matrix[] one = new Matrix[1], group = new Matrix[4];
    private final float[][][] oneOut = new float[1][][], groupOut = new float[4][][];
    private final int[] unitStart = new int[5];
    private final PackedTask packed = new PackedTask();
    /** The tokens {@link #pack} packs: a field, so that a product allocates no task. */
    private float[][] packTokens;
    private final WorkerPool.Task pack = (from, to, worker) -> batch.pack(packTokens, from, to);

    /** The parallel part of {@link #packedMatmul}: row units [from, to) across the matrices. */
    private final class PackedTask implements WorkerPool.Task {
        private Matrix[] ms;
        private float[][][] ys;
        private int count;

        void set(Matrix[] ms, float[][][] ys, int count) {
            this.ms = ms;
            this.ys = ys;
            this.count = count;
        }

        @Override
        public void run(int from, int to, int worker) {
            int step = PackedBatch.rowStep();
            for (int i = 0; i < count; i++) {
                int a = Math.max(from, unitStart[i]), b = Math.min(to, unitStart[i + 1]);
                if (a >= b) continue;
                int rows = ms[i].rows();
                ms[i].matmul(batch, ys[i], (a - unitStart[i]) * step, Math.min(rows, (b - unitStart[i]) * step));
            }
        }
    }

    /** The parallel part of {@link #matmul}, one reused instance so that a step allocates nothing. */
    private static final class MatmulTask implements WorkerPool.Task {
        private Matrix m;
        private float[][] xs, ys;
        private int n;

        void set(Matrix m, float[][] xs, float[][] ys, int n) {
            this.m = m;
            this.xs = xs;
            this.ys = ys;
            this.n = n;
        }

        @Override
        public void run(int from, int to, int worker) {
            if (n == 1) {
                m.matvec(xs[0], ys[0], from, to);
                return;
            }
            m.matmul(xs, ys, n, from, to);
        }
    }

    @Override
    public void addBias(Buffer x, Vector bias, int n) {
        float[][] a = rows(x);
        float[] b = values(bias);
        for (int t = 0; t < n; t++) for (int i = 0; i < b.length; i++) a[t][i] += b[i];
    }

    @Override
    public void rope(Buffer x, int headDim, Vector cos, Vector sin, int pos, int n) {
        float[][] a = rows(x);
        float[] c = values(cos), s = values(sin);
        int half = headDim / 2;
        for (int t = 0; t < n; t++) {
            float[] row = a[t];
            int base = (pos + t) * half;
            for (int h = 0; h < x.cols(); h += headDim) {
                for (int i = 0; i < half; i++) {
                    float x0 = row[h + i], x1 = row[h + i + half];
                    float ci = c[base + i], si = s[base + i];
                    row[h + i] = x0 * ci - x1 * si;
                    row[h + i + half] = x1 * ci + x0 * si;
                }
            }
        }
    }

    @Override
    public void copyRows(Buffer dst, int dstRow, Buffer src, int srcRow, int n) {
        float[][] d = rows(dst), s = rows(src);
        for (int t = 0; t < n; t++) System.arraycopy(s[srcRow + t], 0, d[dstRow + t], 0, src.cols());
    }

    @Override
    public void attention(Buffer out, Buffer q, Buffer keys, Buffer values, Attention shape, int pos, int n) {
        if (scores.length != pool.threads() || scores[0].length < keys.rows() + 4 * F.length())
            scores = new float[pool.threads()][keys.rows() + 4 * F.length()];
        int jobs = n * shape.heads();
        boolean small = (long) jobs * (pos + n) * shape.headDim() * 2 < PARALLEL_MIN_WORK;
        AttentionTask task;
        if (n >= TRANSPOSED_MIN_TOKENS && shape.headDim() % F.length() == 0) {
            // Positions [lo, pos + n) are all any of these tokens sees.
            int lo = shape.firstSeen(pos);
            keysT = transposeKeys(rows(keys), lo, pos + n, shape, keysT);
            transposed.set(rows(out), rows(q), keysT, lo, rows(values), shape, pos, scores);
            task = transposed;
        } else {
            pairs.set(rows(out), rows(q), rows(keys), rows(values), shape, pos, scores);
            task = pairs;
        }
        if (small) task.run(0, jobs, 0);
        else pool.run(jobs, task);
    }

    /**
     * Attention with one (token, head) pair per job: token t (at position pos + t) and query head h
     * attend to key positions {@code [first, last]}, into a per-thread score row. One reused
     * instance per kind; the kinds differ in how the keys are read.
     */
    private abstract static class AttentionTask implements WorkerPool.Task {
        float[][] o, qs, vs, scores;
        Attention shape;
        int pos;

        void set(float[][] o, float[][] qs, float[][] vs, Attention shape, int pos, float[][] scores) {
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
    }

    /** Keys as stored, one position at a time: one dot product per score (a single token, decode). */
    private static final class PairAttentionTask extends AttentionTask {
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
            float max = Float.NEGATIVE_INFINITY;
            for (int s = first; s <= last; s++) {
                att[s] = dot(qv, qo, ks[s], ko, hd) * scale;
                max = Math.max(max, att[s]);
            }
            float sum = 0;
            for (int s = first; s <= last; s++) {
                att[s] = (float) Math.exp(att[s] - max);
                sum += att[s];
            }
            for (int s = first; s <= last; s++) att[s] /= sum;
            weightedSum(att, first, last, vs, ko, o[t], qo, hd);
        }
    }

    /** Batches from this size attend over keys transposed once per call ({@link TransposedAttentionTask}). */
    static final int TRANSPOSED_MIN_TOKENS = 2;

    /**
     * Keys {@code [lo, hi)} per kv head, transposed: {@code kt[h][d][s - lo]}, each row padded with
     * zeros to 4 vectors past the span so that score blocks may run over it.
     */
    static float[][][] transposeKeys(float[][] ks, int lo, int hi, Attention shape, float[][][] kt) {
        int kvh = shape.kvHeads(), hd = shape.headDim(), span = hi - lo, width = span + 4 * F.length();
        if (kt == null || kt.length != kvh || kt[0].length != hd || kt[0][0].length < width) kt = new float[kvh][hd][width];
        for (int h = 0; h < kvh; h++)
            for (int d = 0; d < hd; d++) {
                float[] row = kt[h][d];
                int ko = h * hd + d;
                for (int s = 0; s < span; s++) row[s] = ks[lo + s][ko];
                java.util.Arrays.fill(row, span, span + 4 * F.length(), 0f);
            }
        return kt;
    }

    /**
     * Attention with the keys transposed (head dimension × positions): the scores of VL positions
     * are one vector, summed over the head dimension in order with no lane sums, four blocks of
     * positions at a time; softmax's exp is a vector operation; the weighted sum of values keeps up
     * to four slices of the output in registers. Every job's arithmetic is the same whichever
     * thread runs it.
     */
    private static final class TransposedAttentionTask extends AttentionTask {
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
            transposedScores(qs[t], h * hd, kt[kv], first - lo, count, hd, shape.scale(), att);
            softmax(att, count);
            weightedSumRows(att, count, vs, first, kv * hd, o[t], h * hd, hd);
        }
    }

    /**
     * {@code att[j] = scale · Σ_d q[qo + d] · kt[d][ko + j]} for {@code j < count} (and up to the
     * next multiple of VL, which the caller ignores); {@code kt}'s rows must reach that far.
     */
    static void transposedScores(float[] q, int qo, float[][] kt, int ko, int count, int hd, float scale, float[] att) {
        int len = F.length(), end = (count + len - 1) / len * len, j = 0;
        for (; j + 4 * len <= end; j += 4 * len) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d++) {
                float[] row = kt[d];
                FloatVector b = FloatVector.broadcast(F, q[qo + d]);
                int k = ko + j;
                a0 = FloatVector.fromArray(F, row, k).fma(b, a0);
                a1 = FloatVector.fromArray(F, row, k + len).fma(b, a1);
                a2 = FloatVector.fromArray(F, row, k + 2 * len).fma(b, a2);
                a3 = FloatVector.fromArray(F, row, k + 3 * len).fma(b, a3);
            }
            a0.mul(scale).intoArray(att, j);
            a1.mul(scale).intoArray(att, j + len);
            a2.mul(scale).intoArray(att, j + 2 * len);
            a3.mul(scale).intoArray(att, j + 3 * len);
        }
        for (; j < count; j += len) {
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) a0 = FloatVector.fromArray(F, kt[d], ko + j).fma(FloatVector.broadcast(F, q[qo + d]), a0);
            a0.mul(scale).intoArray(att, j);
        }
    }

    /** {@code att[j] = exp(att[j] - max) / Σ exp(att[i] - max)} for {@code j < count}: vectors, the tail scalar. */
    static void softmax(float[] att, int count) {
        int len = F.length(), whole = count / len * len;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) max = Math.max(max, att[j]);
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < whole; j += len) {
            FloatVector e = exp(FloatVector.fromArray(F, att, j).sub(max));
            e.intoArray(att, j);
            sum = sum.add(e);
        }
        float total = Lanes.sum(sum);
        for (int j = whole; j < count; j++) {
            att[j] = (float) Math.exp(att[j] - max);
            total += att[j];
        }
        for (int j = 0; j < whole; j += len) FloatVector.fromArray(F, att, j).div(total).intoArray(att, j);
        for (int j = whole; j < count; j++) att[j] /= total;
    }

    /**
     * {@code Σ a[ao + i] · b[bo + i]}, i < n: the Vector API when n is a whole number of vectors,
     * else scalar (tiny heads such as stories260K's 8). The species stays a constant: passed as an
     * argument, C2 may not intrinsify the vectors and boxes every one of them.
     */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        if (n % F.length() != 0) {
            float acc = 0;
            for (int i = 0; i < n; i++) acc += a[ao + i] * b[bo + i];
            return acc;
        }
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += F.length())
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        return Lanes.sum(acc);
    }

    /**
     * {@code out[oo + i] = Σ_s p[s] · v[s][vo + i]} for s in [first, last], i < n. Each slice of the
     * output is accumulated in a register over all s (a store per s would chain every position
     * through memory).
     */
    /**
     * {@code out[oo + i] = Σ_j p[j] · v[firstRow + j][vo + i]} for j < count, i < n, n a whole
     * number of vectors. Four slices of the output are summed side by side (four independent chains
     * of FMAs per position, where {@link #weightedSum} runs one chain at a time).
     */
    static void weightedSumRows(float[] p, int count, float[][] v, int firstRow, int vo, float[] out, int oo, int n) {
        int len = F.length(), i = 0;
        for (; i + 4 * len <= n; i += 4 * len) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < count; j++) {
                float[] row = v[firstRow + j];
                FloatVector b = FloatVector.broadcast(F, p[j]);
                int k = vo + i;
                a0 = FloatVector.fromArray(F, row, k).fma(b, a0);
                a1 = FloatVector.fromArray(F, row, k + len).fma(b, a1);
                a2 = FloatVector.fromArray(F, row, k + 2 * len).fma(b, a2);
                a3 = FloatVector.fromArray(F, row, k + 3 * len).fma(b, a3);
            }
            a0.intoArray(out, oo + i);
            a1.intoArray(out, oo + i + len);
            a2.intoArray(out, oo + i + 2 * len);
            a3.intoArray(out, oo + i + 3 * len);
        }
        for (; i < n; i += len) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < count; j++) acc = FloatVector.fromArray(F, v[firstRow + j], vo + i).fma(FloatVector.broadcast(F, p[j]), acc);
            acc.intoArray(out, oo + i);
        }
    }

    static void weightedSum(float[] p, int first, int last, float[][] v, int vo, float[] out, int oo, int n) {
        if (n % F.length() != 0) {
            int i = 0;
            for (; i + 4 <= n; i += 4) { // four independent sums per pass over the rows
                float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                for (int s = first; s <= last; s++) {
                    float[] row = v[s];
                    float ps = p[s];
                    a0 += ps * row[vo + i];
                    a1 += ps * row[vo + i + 1];
                    a2 += ps * row[vo + i + 2];
                    a3 += ps * row[vo + i + 3];
                }
                out[oo + i] = a0;
                out[oo + i + 1] = a1;
                out[oo + i + 2] = a2;
                out[oo + i + 3] = a3;
            }
            for (; i < n; i++) {
                float acc = 0;
                for (int s = first; s <= last; s++) acc += p[s] * v[s][vo + i];
                out[oo + i] = acc;
            }
            return;
        }
        for (int i = 0; i < n; i += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int s = first; s <= last; s++)
                acc = FloatVector.fromArray(F, v[s], vo + i).fma(FloatVector.broadcast(F, p[s]), acc);
            acc.intoArray(out, oo + i);
        }
    }

    @Override
    public void siluMul(Buffer gate, Buffer up, int n) {
        float[][] g = rows(gate), u = rows(up);
        int cols = gate.cols();
        if ((long) n * cols * 8 < PARALLEL_MIN_WORK) {
            for (int t = 0; t < n; t++) siluMul(g[t], u[t], cols);
            return;
        }
        pool.run(n, (from, to, worker) -> {
            for (int t = from; t < to; t++) siluMul(g[t], u[t], cols);
        });
    }

    /**
     * {@code e^x} per lane, within 2 ulp of {@link Math#exp} for x in [-87, 88] (below, a tiny
     * normal number instead of 0 or a subnormal; above, e^88 instead of infinity): Cephes' expf,
     * x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r, scaled by 2^n in the
     * exponent bits. Only adds, multiplies and FMAs, so the bits do not depend on whether C2 has
     * compiled it ({@code lanewise(EXP)} runs SVML once compiled, {@code Math.exp} before).
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        // Round x·log2(e) to an integer by adding 1.5·2^23: n lands in the low mantissa bits.
        FloatVector shifted = x.fma(1.44269504088896341f, 12582912f);
        FloatVector n = shifted.sub(12582912f);
        FloatVector r = n.fma(FloatVector.broadcast(F, 2.12194440e-4f), n.fma(FloatVector.broadcast(F, -0.693359375f), x)); // ln 2 in two parts
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector scale = shifted.reinterpretAsInts().sub(0x4B40_0000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats());
    }

    /** {@code g[i] = silu(g[i]) · u[i]}, i < n: vectors (exp as a vector operation), the tail scalar. */
    static void siluMul(float[] g, float[] u, int n) {
        int len = F.length(), i = 0;
        for (int upper = n - len; i <= upper; i += len) {
            FloatVector x = FloatVector.fromArray(F, g, i);
            FloatVector e = exp(x.neg()).add(1f);
            x.div(e).mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
        }
        for (; i < n; i++) g[i] = g[i] / (1.0f + (float) Math.exp(-g[i])) * u[i];
    }

    /** Plain reference for {@link #siluMul(float[], float[], int)}. */
    static void scalarSiluMul(float[] g, float[] u, int n) {
        for (int i = 0; i < n; i++) g[i] = g[i] / (1.0f + (float) Math.exp(-g[i])) * u[i];
    }

    @Override
    public void add(Buffer x, Buffer y, int n) {
        float[][] a = rows(x), b = rows(y);
        for (int t = 0; t < n; t++) for (int i = 0; i < x.cols(); i++) a[t][i] += b[t][i];
    }

    @Override
    public void read(Buffer src, int row, float[] dst) {
        System.arraycopy(rows(src)[row], 0, dst, 0, Math.min(dst.length, src.cols()));
    }

    @Override
    public void write(Buffer dst, int row, float[] src) {
        System.arraycopy(src, 0, rows(dst)[row], 0, dst.cols());
    }

    @Override
    public Buffer view(Buffer b, int row, int n) {
        return new Buf(java.util.Arrays.copyOfRange(rows(b), row, row + n), n, b.cols());
    }

    @Override
    public void read(Buffer src, int row, float[] dst, int off) {
        System.arraycopy(rows(src)[row], 0, dst, off, src.cols());
    }

    @Override
    public void write(Buffer dst, int row, float[] src, int off) {
        System.arraycopy(src, off, rows(dst)[row], 0, dst.cols());
    }

    @Override
    public void close() { pool.close(); }
}
