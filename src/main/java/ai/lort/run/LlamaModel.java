package ai.lort.run;

import ai.lort.LortException;
import ai.lort.run.Backend.Buffer;
import ai.lort.run.Backend.Vector;
import ai.lort.run.Backend.Weight;

/**
 * The Llama-family decoder (Llama 2/3, Mistral, Qwen2, Qwen3) on a {@link Backend}: weights as
 * backend handles, and one state (activations for a batch of tokens, the KV cache) allocated
 * before the first token. The family's variations are data, not subclasses: optional biases on
 * any projection (Qwen2's q/k/v), optional per-head q/k RMSNorm (Qwen3), tied or separate output
 * head, explicit head_dim, sliding window (Mistral).
 */
public final class LlamaModel implements AutoCloseable {
    /** Tokens per batch when processing a prompt (matrix-matrix). */
    public static final int DEFAULT_BATCH = 32;
    /** Context when none is asked for: long-context models would otherwise get a cache of many gigabytes. */
    public static final int DEFAULT_CONTEXT = 4096;

    private final ModelConfig config;
    private final Backend backend;
    private final Backend.Embedding embedding;
    private final Layer[] layers;
    private final Vector finalNorm;
    private final Weight head;
    private final Vector ropeCos, ropeSin;
    private final Backend.Attention attention;
    private final int context, batch, vocab;

    // State: one row per token of the current batch, and the cache, one row per position.
    private final Buffer x, xb, q, k, v, att, gate, up, logits, lastRow;
    private final Buffer[] keyCache, valueCache;

    /** One decoder layer's weights; a null bias or q/k norm is absent from the checkpoint. */
    record Layer(Vector attnNorm, Linear q, Linear k, Vector qNorm, Vector kNorm, Linear v, Linear o,
                 Vector mlpNorm, Linear gate, Linear up, Linear down) {}

    /** A projection with its optional bias. */
    record Linear(Weight weight, Vector bias) {}

    private LlamaModel(ModelConfig config, Backend backend, WeightSource w, int context, int batch) {
        this.config = config;
        this.backend = backend;
        this.context = context;
        this.batch = batch;
        this.embedding = backend.embedding(w, "model.embed_tokens.weight");
        this.layers = new Layer[config.layers()];
        for (int l = 0; l < layers.length; l++) layers[l] = layer(w, "model.layers." + l + ".");
        this.finalNorm = backend.vector(w.vector("model.norm.weight"));
        // Tied embeddings: no lm_head.weight, the embedding matrix is the output head.
        this.head = backend.matrix(w, w.has("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight");
        this.vocab = head.rows();
        RopeTable rope = RopeTable.of(config.rope(), config.headDim(), context);
        this.ropeCos = backend.vector(rope.cos());
        this.ropeSin = backend.vector(rope.sin());
        this.attention = new Backend.Attention(config.heads(), config.kvHeads(), config.headDim(),
                (float) (1.0 / Math.sqrt(config.headDim())), config.slidingWindow());

        int hidden = config.hiddenSize(), inter = layers[0].gate.weight.rows();
        x = backend.buffer(batch, hidden);
        xb = backend.buffer(batch, hidden);
        q = backend.buffer(batch, config.qDim());
        k = backend.buffer(batch, config.kvDim());
        v = backend.buffer(batch, config.kvDim());
        att = backend.buffer(batch, config.qDim());
        gate = backend.buffer(batch, inter);
        up = backend.buffer(batch, inter);
        logits = backend.buffer(batch, vocab);
        lastRow = backend.buffer(1, hidden);
        keyCache = new Buffer[layers.length];
        valueCache = new Buffer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            keyCache[l] = backend.buffer(context, config.kvDim());
            valueCache[l] = backend.buffer(context, config.kvDim());
        }
    }

    /**
     * Loads the model from {@code weights} onto {@code backend}.
     *
     * @param context maximum sequence length (KV-cache rows); 0 means the model's max_position_embeddings,
     *                at most {@link #DEFAULT_CONTEXT} (the cache is allocated whole, up front)
     */
    public static LlamaModel load(WeightSource weights, Backend backend, int context) {
        return load(weights, backend, context, DEFAULT_BATCH);
    }

    public static LlamaModel load(WeightSource weights, Backend backend, int context, int batch) {
        ModelConfig config = ModelConfig.load(weights);
        int ctx = context > 0 ? context : Math.min(config.maxPositions(), DEFAULT_CONTEXT);
        return new LlamaModel(config, backend, weights, ctx, batch);
    }

    private Layer layer(WeightSource w, String p) {
        return new Layer(norm(w, p + "input_layernorm.weight"),
                linear(w, p + "self_attn.q_proj"), linear(w, p + "self_attn.k_proj"),
                optionalNorm(w, p + "self_attn.q_norm.weight"), optionalNorm(w, p + "self_attn.k_norm.weight"),
                linear(w, p + "self_attn.v_proj"), linear(w, p + "self_attn.o_proj"),
                norm(w, p + "post_attention_layernorm.weight"),
                linear(w, p + "mlp.gate_proj"), linear(w, p + "mlp.up_proj"), linear(w, p + "mlp.down_proj"));
    }

    private Linear linear(WeightSource w, String name) {
        Weight m = backend.matrix(w, name + ".weight");
        return new Linear(m, w.has(name + ".bias") ? backend.vector(w.vector(name + ".bias")) : null);
    }

    private Vector norm(WeightSource w, String name) { return backend.vector(w.vector(name)); }

    private Vector optionalNorm(WeightSource w, String name) { return w.has(name) ? norm(w, name) : null; }

    public ModelConfig config() { return config; }

    public Backend backend() { return backend; }

    /** Maximum number of positions (KV-cache rows). */
    public int context() { return context; }

    /** Maximum tokens per {@link #forward} call. */
    public int batch() { return batch; }

    /** Logits per position (rows of the output head, may exceed the tokenizer's vocabulary). */
    public int vocabSize() { return vocab; }

    /**
     * Runs tokens {@code [from, from + n)} at positions {@code [pos, pos + n)}, writing their keys and
     * values into the cache, and computes logits: of every token when {@code allLogits}, else of the
     * last only. Read them with {@link #logits}. {@code n} is at most {@link #batch()}.
     */
    public void forward(int[] tokens, int from, int n, int pos, boolean allLogits) {
        if (n < 1 || n > batch) throw new IllegalArgumentException("batch of " + n + " tokens, limit " + batch);
        if (pos + n > context)
            throw new LortException("the context is full (" + context + " tokens); start a new conversation or give a larger --ctx");
        float eps = config.rmsNormEps();
        backend.embed(embedding, tokens, from, n, x);
        for (int l = 0; l < layers.length; l++) {
            Layer L = layers[l];
            // Attention: x += o(attention(rope(q), rope(k), v)), q/k/v from the normed residual.
            backend.rmsNorm(xb, x, L.attnNorm, eps, n);
            project(q, L.q, xb, n);
            project(k, L.k, xb, n);
            project(v, L.v, xb, n);
            if (L.qNorm != null) backend.headRmsNorm(q, L.qNorm, config.headDim(), eps, n);
            if (L.kNorm != null) backend.headRmsNorm(k, L.kNorm, config.headDim(), eps, n);
            backend.rope(q, config.headDim(), ropeCos, ropeSin, pos, n);
            backend.rope(k, config.headDim(), ropeCos, ropeSin, pos, n);
            backend.copyRows(keyCache[l], pos, k, 0, n);
            backend.copyRows(valueCache[l], pos, v, 0, n);
            backend.attention(att, q, keyCache[l], valueCache[l], attention, pos, n);
            project(xb, L.o, att, n);
            backend.add(x, xb, n);
            // MLP: x += down(silu(gate(h)) · up(h)), h the normed residual.
            backend.rmsNorm(xb, x, L.mlpNorm, eps, n);
            project(gate, L.gate, xb, n);
            project(up, L.up, xb, n);
            backend.siluMul(gate, up, n);
            project(xb, L.down, gate, n);
            backend.add(x, xb, n);
        }
        backend.rmsNorm(xb, x, finalNorm, eps, n);
        if (allLogits) {
            backend.matmul(logits, head, xb, n);
        } else {
            backend.copyRows(lastRow, 0, xb, n - 1, 1);
            backend.matmul(logits, head, lastRow, 1);
        }
    }

    private void project(Buffer out, Linear p, Buffer in, int n) {
        backend.matmul(out, p.weight, in, n);
        if (p.bias != null) backend.addBias(out, p.bias, n);
    }

    /**
     * Runs {@code tokens[from, to)} from position {@code pos} in batches; afterwards {@link #logits}
     * row 0 holds the logits of the last token.
     */
    public void prefill(int[] tokens, int from, int to, int pos) {
        for (int i = from; i < to; i += batch) {
            int n = Math.min(batch, to - i);
            forward(tokens, i, n, pos + (i - from), false);
        }
    }

    /** Copies the logits of row {@code row} of the last {@link #forward} (0 when only the last was computed). */
    public void logits(int row, float[] out) { backend.read(logits, row, out); }

    @Override
    public void close() { backend.close(); }
}
