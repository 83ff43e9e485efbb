package ai.lort.engine;

import ai.lort.weights.WeightSource;

/**
 * The operations one Llama-family forward step needs, over buffers the backend owns. The forward
 * pass ({@link LlamaModel}) is written once against this interface; the CPU backend keeps buffers
 * as heap floats, a GPU backend keeps them on the device so that a token step copies nothing but
 * the token ids in and the logits out.
 *
 * <p>Activation buffers are {@code rows × cols}: one row per token of a batch. Every operation
 * works on rows {@code [0, n)}, the tokens of the current batch (1 when generating). Handles are
 * opaque and only valid with the backend that made them.
 */
public interface Backend extends AutoCloseable {
    /** A rows × cols float buffer owned by the backend. */
    interface Buffer {
        int rows();

        int cols();
    }

    /** A weight matrix (out × in) prepared for this backend. */
    interface Weight {
        int rows();

        int cols();
    }

    /** A small float vector (norm weights, biases, rotary tables) held by the backend. */
    interface Vector {}

    /** An embedding table [vocab × hidden], looked up one row per token. */
    interface Embedding {}

    /** Shape of grouped-query attention: query head h reads kv head {@code h / (heads / kvHeads)}. */
    record Attention(int heads, int kvHeads, int headDim, float scale, int window) {
        /** The first key position a query at {@code position} attends to (0, or the sliding window's start). */
        public int firstSeen(int position) {
            return window > 0 ? Math.max(0, position - window + 1) : 0;
        }
    }

    String name();

    Buffer buffer(int rows, int cols);

    Weight matrix(WeightSource weights, String name);

    Vector vector(float[] values);

    Embedding embedding(WeightSource weights, String name);

    /** {@code out[t] = table[tokens[from + t]]} for t in [0, n). */
    void embed(Embedding table, int[] tokens, int from, int n, Buffer out);

    /** {@code out[t] = x[t] / rms(x[t]) · weight} (Hugging Face RMSNorm: float32, eps inside the root). */
    void rmsNorm(Buffer out, Buffer x, Vector weight, float eps, int n);

    /** RMSNorm of every {@code headDim}-wide head of {@code x[t]}, in place (Qwen3's q_norm / k_norm). */
    void headRmsNorm(Buffer x, Vector weight, int headDim, float eps, int n);

    /** {@code out[t] = W · x[t]}; each weight row is read once for the whole batch. */
    void matmul(Buffer out, Weight w, Buffer x, int n);

    /**
     * {@code outs[i][t] = ws[i] · x[t]} for every i: products that share their input (q/k/v,
     * gate/up), which a backend may run as one (the CPU packs the input once); same results as
     * one {@link #matmul} each.
     */
    default void matmul(Buffer[] outs, Weight[] ws, Buffer x, int n) {
        for (int i = 0; i < ws.length; i++) matmul(outs[i], ws[i], x, n);
    }

    /** {@code x[t] += bias}. */
    void addBias(Buffer x, Vector bias, int n);

    /**
     * Rotates every {@code headDim}-wide head of {@code x[t]} by position {@code pos + t}, pairs
     * (i, i + headDim/2), with {@code cos}/{@code sin} tables of headDim/2 values per position.
     */
    void rope(Buffer x, int headDim, Vector cos, Vector sin, int pos, int n);

    /** {@code dst[dstRow + t] = src[srcRow + t]} for t in [0, n) (KV-cache writes, picking a row). */
    void copyRows(Buffer dst, int dstRow, Buffer src, int srcRow, int n);

    /**
     * Causal attention of queries {@code q[t]} (at position {@code pos + t}) over cache rows
     * {@code [0, pos + t]} of {@code keys}/{@code values} (or the last {@code window} of them),
     * softmax in float32, into {@code out[t]}.
     */
    void attention(Buffer out, Buffer q, Buffer keys, Buffer values, Attention shape, int pos, int n);

    /** {@code gate[t] = silu(gate[t]) · up[t]} (SwiGLU). */
    void siluMul(Buffer gate, Buffer up, int n);

    /** {@code x[t] += y[t]} (residual). */
    void add(Buffer x, Buffer y, int n);

    /** Copies row {@code row} of {@code src} to the host (the logits). */
    void read(Buffer src, int row, float[] dst);

    /**
     * Copies host values into row {@code row} of {@code dst}: calibration moves residual streams
     * between layers. Backends that only run inference may leave it unsupported.
     */
    default void write(Buffer dst, int row, float[] src) {
        throw new UnsupportedOperationException(name() + " cannot write buffers from the host");
    }

    /**
     * Rows {@code [row, row + n)} of {@code b} as a buffer sharing its storage (lockstep decoding
     * runs per-row operations on them). Backends that only run one sequence may leave it unsupported.
     */
    default Buffer view(Buffer b, int row, int n) {
        throw new UnsupportedOperationException(name() + " has no row views");
    }

    /** {@link #read} into {@code dst[off, off + cols)}. */
    default void read(Buffer src, int row, float[] dst, int off) {
        float[] tmp = new float[src.cols()];
        read(src, row, tmp);
        System.arraycopy(tmp, 0, dst, off, tmp.length);
    }

    /** {@link #write} from {@code src[off, off + cols)}. */
    default void write(Buffer dst, int row, float[] src, int off) {
        write(dst, row, java.util.Arrays.copyOfRange(src, off, off + dst.cols()));
    }

    @Override
    void close();
}
