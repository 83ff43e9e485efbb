package ai.lort.engine.cpu;

import ai.lort.engine.Backend;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.PackedBatch;
import ai.lort.util.WorkerPool;
import ai.lort.weights.WeightSource;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: buffers are heap {@code float[rows][cols]}, weights are {@link Matrix} kernels
 * over the mapped file, and every operation that is worth it splits its rows (or its
 * token × head pairs) across one {@link WorkerPool}.
 *
 * <p>This class holds the buffers, the pool and the reused tasks, and decides what runs where; the
 * arithmetic of each operation is its own class, a vector implementation beside a scalar reference
 * where there is a vector one: {@link RmsNorm}, {@link Rope}, {@link AttentionKernels} and
 * {@link Softmax} (put together per token and head by {@link AttentionTask}), {@link SwiGlu} with
 * {@link VectorExp}, {@link Elementwise}.
 */
public final class CpuBackend implements Backend {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds below which an operation runs on the calling thread: waking workers costs more than it saves. */
    private static final long PARALLEL_MIN_WORK = 1 << 16;

    private final WorkerPool pool;
    // The tasks and scratch of the operations, one reused set per backend: a step allocates nothing.
    private final MatmulTask matmul = new MatmulTask();
    private final PackedBatch batch = new PackedBatch();
    private final Matrix[] one = new Matrix[1], group = new Matrix[4];
    private final float[][][] oneOut = new float[1][][], groupOut = new float[4][][];
    private final int[] unitStart = new int[5];
    private final PackedTask packed = new PackedTask();
    /** The tokens {@link #pack} packs: a field, so that a product allocates no task. */
    private float[][] packTokens;
    private final WorkerPool.Task pack = (from, to, worker) -> batch.pack(packTokens, from, to);
    private final AttentionTask.Pair pairs = new AttentionTask.Pair();
    private final AttentionTask.Transposed transposed = new AttentionTask.Transposed();
    /** Keys transposed for {@link #transposed}, and one score row per thread. */
    private float[][][] keysT;
    private float[][] scores = new float[0][];
    private final SiluMulTask swiGlu = new SiluMulTask();

    public CpuBackend(int threads) { this.pool = new WorkerPool(threads); }

    public int threads() { return pool.threads(); }

    /** Operations so far that handed work to the pool's threads (a profile's count of hand-offs). */
    public long handOffs() { return pool.handOffs(); }

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
        for (int t = 0; t < n; t++) RmsNorm.rmsNorm(o[t], 0, in[t], 0, w, w.length, eps);
    }

    @Override
    public void headRmsNorm(Buffer x, Vector weight, int headDim, float eps, int n) {
        float[][] a = rows(x);
        float[] w = values(weight);
        for (int t = 0; t < n; t++) RmsNorm.perHead(a[t], x.cols(), w, headDim, eps);
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
        for (int t = 0; t < n; t++) Elementwise.addInPlace(a[t], b, b.length);
    }

    @Override
    public void rope(Buffer x, int headDim, Vector cos, Vector sin, int pos, int n) {
        float[][] a = rows(x);
        float[] c = values(cos), s = values(sin);
        for (int t = 0; t < n; t++) Rope.rotate(a[t], x.cols(), headDim, c, s, (pos + t) * (headDim / 2));
    }

    @Override
    public void copyRows(Buffer dst, int dstRow, Buffer src, int srcRow, int n) {
        float[][] d = rows(dst), s = rows(src);
        for (int t = 0; t < n; t++) System.arraycopy(s[srcRow + t], 0, d[dstRow + t], 0, src.cols());
    }

    /** Batches from this size attend over keys transposed once per call ({@link AttentionTask.Transposed}). */
    static final int TRANSPOSED_MIN_TOKENS = 2;

    @Override
    public void attention(Buffer out, Buffer q, Buffer keys, Buffer values, Attention shape, int pos, int n) {
        if (scores.length != pool.threads() || scores[0].length < keys.rows() + AttentionKernels.SLACK)
            scores = new float[pool.threads()][keys.rows() + AttentionKernels.SLACK];
        int jobs = n * shape.heads();
        boolean small = (long) jobs * (pos + n) * shape.headDim() * 2 < PARALLEL_MIN_WORK;
        AttentionTask task;
        if (n >= TRANSPOSED_MIN_TOKENS && shape.headDim() % F.length() == 0) {
            // Positions [lo, pos + n) are all any of these tokens sees.
            int lo = shape.firstSeen(pos);
            keysT = AttentionKernels.transposeKeys(rows(keys), lo, pos + n, shape, keysT);
            transposed.set(rows(out), rows(q), keysT, lo, rows(values), shape, pos, scores);
            task = transposed;
        } else {
            pairs.set(rows(out), rows(q), rows(keys), rows(values), shape, pos, scores);
            task = pairs;
        }
        if (small) task.run(0, jobs, 0);
        else pool.run(jobs, task);
    }

    @Override
    public void siluMul(Buffer gate, Buffer up, int n) {
        float[][] g = rows(gate), u = rows(up);
        int cols = gate.cols();
        if ((long) n * cols * 8 < PARALLEL_MIN_WORK) {
            for (int t = 0; t < n; t++) SwiGlu.siluMul(g[t], u[t], cols);
            return;
        }
        swiGlu.set(g, u, cols);
        pool.run(n, swiGlu);
        swiGlu.set(null, null, 0);
    }

    /** The parallel part of {@link #siluMul}: rows [from, to). */
    private static final class SiluMulTask implements WorkerPool.Task {
        private float[][] g, u;
        private int cols;

        void set(float[][] g, float[][] u, int cols) {
            this.g = g;
            this.u = u;
            this.cols = cols;
        }

        @Override
        public void run(int from, int to, int worker) {
            for (int t = from; t < to; t++) SwiGlu.siluMul(g[t], u[t], cols);
        }
    }

    @Override
    public void add(Buffer x, Buffer y, int n) {
        float[][] a = rows(x), b = rows(y);
        for (int t = 0; t < n; t++) Elementwise.addInPlace(a[t], b[t], x.cols());
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
