package ai.lort.bench;

import ai.lort.engine.Backend;
import ai.lort.weights.WeightSource;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Backend} that passes every operation to another one and adds its wall time to a
 * category: the CPU backend's operations return when they are done, so the sum of the categories
 * is the step. Products are told apart by weight: the output head, compressed (ternary) layers,
 * dense layers, and whether they ran alone or as a group sharing their input.
 */
final class TimedBackend implements Backend {
    private final Backend inner;
    private final Map<Weight, String> kinds = new IdentityHashMap<>();
    final Map<String, long[]> nanos = new LinkedHashMap<>(); // category -> {nanos, calls}

    TimedBackend(Backend inner) { this.inner = inner; }

    void reset() { nanos.clear(); }

    private void add(String what, long t0) {
        long[] v = nanos.computeIfAbsent(what, k -> new long[2]);
        v[0] += System.nanoTime() - t0;
        v[1]++;
    }

    private String kind(Weight w) { return kinds.getOrDefault(w, "?"); }

    @Override public String name() { return inner.name(); }
    @Override public Buffer buffer(int rows, int cols) { return inner.buffer(rows, cols); }

    @Override
    public Weight matrix(WeightSource w, String name) {
        Weight m = inner.matrix(w, name);
        String kind = name.equals("lm_head.weight") || name.equals("model.embed_tokens.weight") ? "head"
                : w.compressed(name).isPresent() ? "ternary" : "dense";
        String site = name.contains("q_proj") || name.contains("k_proj") || name.contains("v_proj") ? " q/k/v"
                : name.contains("o_proj") ? " o" : name.contains("gate_proj") || name.contains("up_proj") ? " gate/up"
                : name.contains("down_proj") ? " down" : "";
        kinds.put(m, kind + site);
        return m;
    }

    @Override public Vector vector(float[] values) { return inner.vector(values); }
    @Override public Embedding embedding(WeightSource w, String name) { return inner.embedding(w, name); }

    @Override public void embed(Embedding t, int[] tokens, int from, int n, Buffer out) {
        long t0 = System.nanoTime();
        inner.embed(t, tokens, from, n, out);
        add("embedding lookup", t0);
    }

    @Override public void rmsNorm(Buffer out, Buffer x, Vector w, float eps, int n) {
        long t0 = System.nanoTime();
        inner.rmsNorm(out, x, w, eps, n);
        add("rmsnorm", t0);
    }

    @Override public void headRmsNorm(Buffer x, Vector w, int headDim, float eps, int n) {
        long t0 = System.nanoTime();
        inner.headRmsNorm(x, w, headDim, eps, n);
        add("rmsnorm", t0);
    }

    @Override public void matmul(Buffer out, Weight w, Buffer x, int n) {
        long t0 = System.nanoTime();
        inner.matmul(out, w, x, n);
        add("matmul " + kind(w), t0);
    }

    @Override public void matmul(Buffer[] outs, Weight[] ws, Buffer x, int n) {
        long t0 = System.nanoTime();
        inner.matmul(outs, ws, x, n);
        add("matmul " + kind(ws[0]), t0);
    }

    @Override public void addBias(Buffer x, Vector b, int n) {
        long t0 = System.nanoTime();
        inner.addBias(x, b, n);
        add("bias, residual adds, copies", t0);
    }

    @Override public void rope(Buffer x, int headDim, Vector cos, Vector sin, int pos, int n) {
        long t0 = System.nanoTime();
        inner.rope(x, headDim, cos, sin, pos, n);
        add("rope", t0);
    }

    @Override public void copyRows(Buffer dst, int dstRow, Buffer src, int srcRow, int n) {
        long t0 = System.nanoTime();
        inner.copyRows(dst, dstRow, src, srcRow, n);
        add("bias, residual adds, copies", t0);
    }

    @Override public void attention(Buffer out, Buffer q, Buffer k, Buffer v, Attention shape, int pos, int n) {
        long t0 = System.nanoTime();
        inner.attention(out, q, k, v, shape, pos, n);
        add("attention", t0);
    }

    @Override public void siluMul(Buffer gate, Buffer up, int n) {
        long t0 = System.nanoTime();
        inner.siluMul(gate, up, n);
        add("silu·mul", t0);
    }

    @Override public void add(Buffer x, Buffer y, int n) {
        long t0 = System.nanoTime();
        inner.add(x, y, n);
        add("bias, residual adds, copies", t0);
    }

    @Override public void read(Buffer src, int row, float[] dst) {
        long t0 = System.nanoTime();
        inner.read(src, row, dst);
        add("logits to host", t0);
    }

    @Override public void write(Buffer dst, int row, float[] src) { inner.write(dst, row, src); }
    @Override public Buffer view(Buffer b, int row, int n) { return inner.view(b, row, n); }
    @Override public void read(Buffer src, int row, float[] dst, int off) { inner.read(src, row, dst, off); }
    @Override public void write(Buffer dst, int row, float[] src, int off) { inner.write(dst, row, src, off); }
    @Override public void close() { inner.close(); }
}
