package ai.lort.run;

import ai.lort.kernel.Matrix;

/**
 * The CPU backend: buffers are heap {@code float[rows][cols]}, weights are {@link Matrix} kernels
 * over the mapped file, and every operation that is worth it splits its rows (or its
 * token × head pairs) across one {@link WorkerPool}.
 */
public final class CpuBackend implements Backend {
    /** Weight rows per block in a batched matmul: small enough to stay in L1/L2 while every token of the batch uses them. */
    private static final int ROW_BLOCK = 16;

    private final WorkerPool pool;
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
        if (n == 1) {
            float[] x0 = xs[0], y0 = ys[0];
            pool.run(m.rows(), (from, to, worker) -> m.matvec(x0, y0, from, to));
            return;
        }
        pool.run(m.rows(), (from, to, worker) -> {
            for (int r = from; r < to; r += ROW_BLOCK) {
                int end = Math.min(to, r + ROW_BLOCK);
                for (int t = 0; t < n; t++) m.matvec(xs[t], ys[t], r, end);
            }
        });
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
        float[][] o = rows(out), qs = rows(q), ks = rows(keys), vs = rows(values);
        int heads = shape.heads(), hd = shape.headDim(), group = heads / shape.kvHeads();
        float scale = shape.scale();
        float[][] scratch = scratch(keys.rows());
        pool.run(n * heads, (from, to, worker) -> {
            float[] att = scratch[worker];
            for (int job = from; job < to; job++) {
                int t = job / heads, h = job % heads;
                int last = pos + t;
                int first = shape.window() > 0 ? Math.max(0, last - shape.window() + 1) : 0;
                int qo = h * hd, ko = (h / group) * hd;
                float[] qv = qs[t];
                float max = Float.NEGATIVE_INFINITY;
                for (int s = first; s <= last; s++) {
                    float[] k = ks[s];
                    float dot = 0;
                    for (int i = 0; i < hd; i++) dot += qv[qo + i] * k[ko + i];
                    att[s] = dot * scale;
                    max = Math.max(max, att[s]);
                }
                float sum = 0;
                for (int s = first; s <= last; s++) {
                    att[s] = (float) Math.exp(att[s] - max);
                    sum += att[s];
                }
                float[] ov = o[t];
                for (int i = 0; i < hd; i++) ov[qo + i] = 0;
                for (int s = first; s <= last; s++) {
                    float p = att[s] / sum;
                    float[] v = vs[s];
                    for (int i = 0; i < hd; i++) ov[qo + i] += p * v[ko + i];
                }
            }
        });
    }

    /** Per-thread score rows, grown once to the longest cache seen. */
    private float[][] scratch(int length) {
        if (scores.length != pool.threads() || scores[0].length < length) {
            scores = new float[pool.threads()][length];
        }
        return scores;
    }

    @Override
    public void siluMul(Buffer gate, Buffer up, int n) {
        float[][] g = rows(gate), u = rows(up);
        for (int t = 0; t < n; t++) {
            float[] gt = g[t], ut = u[t];
            for (int i = 0; i < gate.cols(); i++) gt[i] = gt[i] / (1.0f + (float) Math.exp(-gt[i])) * ut[i];
        }
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
    public void close() { pool.close(); }
}
