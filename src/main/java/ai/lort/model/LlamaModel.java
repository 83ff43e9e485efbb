package ai.lort.model;

import ai.lort.LortException;
import ai.lort.engine.Backend.Buffer;
import ai.lort.engine.Backend.Vector;
import ai.lort.engine.Backend.Weight;
import ai.lort.engine.Backend;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.kernel.Matrices;
import ai.lort.weights.WeightSource;

/**
 * The Llama-family decoder (Llama 2/3, Mistral, Qwen2, Qwen3) on a {@link Backend}: weights as
 * backend handles, and one state (activations for a batch of tokens, the KV cache) allocated
 * before the first token. The family's variations are data, not subclasses: optional biases on
 * any projection (Qwen2's q/k/v), optional per-head q/k RMSNorm (Qwen3), tied or separate output
 * head, explicit head_dim, sliding window (Mistral).
 *
 * <p>Over 400 lines on purpose: loading (weights, shapes against the config) and the forward step
 * share the layer records, and the step reads as one piece, top to bottom.
 */
public final class LlamaModel implements AutoCloseable {
    /** Tokens per batch when processing a prompt (matrix-matrix). */
    public static final int DEFAULT_BATCH = 32;
    /** Context when none is asked for: long-context models would otherwise get a cache of many gigabytes. */
    public static final int DEFAULT_CONTEXT = 4096;
    /** Models from this size on get their kernels compiled before the first token. */
    static final long WARM_UP_PARAMETERS = 50_000_000;

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
    private final Buffer x, xb, q, k, v, att, gate, up, lastRow;
    private final Buffer[] qkv, gateUp;
    /** Logits rows, allocated when first needed and grown to the most rows asked (vocab-wide rows are large). */
    private Buffer logits;
    /** This model's own cache (of {@link #forward}), allocated on first use: a {@link Sequences} brings its own. */
    private Buffer[] keyCache, valueCache;

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
        lastRow = backend.buffer(1, hidden);
        qkv = new Buffer[] {q, k, v};
        gateUp = new Buffer[] {gate, up};
    }

    /** The attention of a step whose rows are not one sequence in this model's own cache (lockstep, {@link Sequences}). */
    interface RowAttention {
        /** Rotary embedding, cache update and attention of layer l for the step's rows, from q, k and v into att. */
        void attend(int l, int pos, int n);
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
        ModelShapes.check(config, weights);
        int ctx = context > 0 ? context : Math.min(config.maxPositions(), DEFAULT_CONTEXT);
        if (ctx > config.maxPositions())
            throw new LortException("context length (--ctx) " + ctx + " is out of range; this model's max_position_embeddings is " + config.maxPositions() + ", so use 2 to " + config.maxPositions());
        if (backend instanceof CpuBackend) ModelShapes.checkHeap(config, ctx, batch);
        // Until C2 compiles the Vector API kernels, a large layer's matvec takes seconds; tiny models warm up on their own.
        if (backend instanceof CpuBackend && config.parameters() >= WARM_UP_PARAMETERS) Matrices.warmUp();
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
        backend.embed(embedding, tokens, from, n, x);
        for (int l = 0; l < layers.length; l++) layer(l, pos, n, Site.QKV, null, null);
        head(n, allLogits);
    }

    private void head(int n, boolean allLogits) {
        backend.rmsNorm(xb, x, finalNorm, config.rmsNormEps(), n);
        int rows = allLogits ? n : 1;
        if (logits == null || logits.rows() < rows) logits = backend.buffer(rows, vocab);
        if (allLogits) {
            backend.matmul(logits, head, xb, n);
        } else {
            backend.copyRows(lastRow, 0, xb, n - 1, 1);
            backend.matmul(logits, head, lastRow, 1);
        }
    }

    /**
     * Several sequences decoded side by side, one batch row each, all at the same position, each
     * with its own KV cache: a step reads every weight once for all of them, where decoding them
     * one after the other reads the weights once per sequence. How calibration text is sampled;
     * {@link Sequences} is the general case (each row at its own position).
     */
    public final class Lockstep {
        private final Sequences sequences;
        private final int[] rows, positions;

        private Lockstep(int count) {
            sequences = new Sequences(LlamaModel.this, count);
            rows = new int[count];
            positions = new int[count];
            for (int s = 0; s < count; s++) rows[s] = s;
        }

        public int sequences() { return rows.length; }
    }

    /** Bytes of the KV cache each sequence of a {@link Lockstep} holds: keys and values, every layer, the whole context. */
    public long lockstepBytesPerSequence() {
        return 2L * layers.length * context * config.kvDim() * Float.BYTES;
    }

    /** Caches for {@code sequences} (at most {@link #batch()}) sequences decoded in lockstep. */
    public Lockstep lockstep(int sequences) {
        if (sequences < 1 || sequences > batch) throw new IllegalArgumentException(sequences + " sequences, batch " + batch);
        return new Lockstep(sequences);
    }

    /**
     * One lockstep step: {@code tokens[s]} is the token of sequence s at position {@code pos};
     * afterwards {@link #logits} row s holds the logits of sequence s.
     */
    public void forwardLockstep(Lockstep lockstep, int[] tokens, int pos) {
        if (pos >= context) throw new LortException("the context is full (" + context + " tokens)");
        java.util.Arrays.fill(lockstep.positions, pos);
        lockstep.sequences.step(lockstep.rows, tokens, lockstep.positions, lockstep.rows.length);
    }

    /**
     * Decoder layer {@code l} on the residual {@code x} of tokens at positions {@code [pos, pos + n)},
     * from the input of site {@code from} on: from {@link Site#QKV} it is the whole layer; from a
     * later site, that site's input buffer must already hold its input (and x the residual at that
     * point). The hook sees each site's input and may stop the layer there. With a
     * {@link Lockstep}, row s belongs to sequence s, at position pos.
     */
    private void layer(int l, int pos, int n, Site from, ForwardHook hook, RowAttention lockstep) {
        Layer L = layers[l];
        for (Site site = from; site != null; site = site.next()) {
            if (site != from || from == Site.QKV) prepareInput(site, L, n);
            if (hook != null && !hook.input(site, input(site), n)) return;
            switch (site) {
                // x += o(attention(rope(q), rope(k), v)), q/k/v from the normed residual
                case QKV -> attention(l, L, pos, n, lockstep);
                case O -> {
                    project(xb, L.o, att, n);
                    backend.add(x, xb, n);
                }
                // x += down(silu(gate(h)) · up(h)), h the normed residual
                case GATE_UP -> {
                    project(gateUp, L.gate, L.up, null, xb, n);
                    backend.siluMul(gate, up, n);
                }
                case DOWN -> {
                    project(xb, L.down, gate, n);
                    if (hook != null) hook.mlpOutput(xb, n);
                    backend.add(x, xb, n);
                }
            }
        }
    }

    /** Puts a site's input in place: the normed residual before attention and before the MLP; o and down read what the step before them left. */
    private void prepareInput(Site site, Layer L, int n) {
        if (site == Site.QKV) backend.rmsNorm(xb, x, L.attnNorm, config.rmsNormEps(), n);
        else if (site == Site.GATE_UP) backend.rmsNorm(xb, x, L.mlpNorm, config.rmsNormEps(), n);
    }

    /** q/k/v of the normed residual in xb, rotary embedding, the cache update and attention into att. */
    private void attention(int l, Layer L, int pos, int n, RowAttention lockstep) {
        project(qkv, L.q, L.k, L.v, xb, n);
        if (L.qNorm != null) backend.headRmsNorm(q, L.qNorm, config.headDim(), config.rmsNormEps(), n);
        if (L.kNorm != null) backend.headRmsNorm(k, L.kNorm, config.headDim(), config.rmsNormEps(), n);
        if (lockstep != null) {
            lockstep.attend(l, pos, n);
            return;
        }
        if (keyCache == null) allocateCache();
        backend.rope(q, config.headDim(), ropeCos, ropeSin, pos, n);
        backend.rope(k, config.headDim(), ropeCos, ropeSin, pos, n);
        backend.copyRows(keyCache[l], pos, k, 0, n);
        backend.copyRows(valueCache[l], pos, v, 0, n);
        backend.attention(att, q, keyCache[l], valueCache[l], attention, pos, n);
    }

    private void allocateCache() {
        keyCache = new Buffer[layers.length];
        valueCache = new Buffer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            keyCache[l] = backend.buffer(context, config.kvDim());
            valueCache[l] = backend.buffer(context, config.kvDim());
        }
    }

    /**
     * Tokens {@code [from, from + n)} through the decoder with {@code rows} doing each layer's
     * attention (the rows' positions are theirs to know; {@code pos} is handed on), then the logits
     * of every row when {@code allLogits}, else of the last.
     */
    void forward(RowAttention rows, int[] tokens, int from, int n, int pos, boolean allLogits) {
        if (n < 1 || n > batch) throw new IllegalArgumentException("batch of " + n + " tokens, limit " + batch);
        backend.embed(embedding, tokens, from, n, x);
        for (int l = 0; l < layers.length; l++) layer(l, pos, n, Site.QKV, null, rows);
        head(n, allLogits);
    }

    // What Sequences needs of the step's state.
    Buffer q() { return q; }
    Buffer k() { return k; }
    Buffer v() { return v; }
    Buffer att() { return att; }
    Vector ropeCos() { return ropeCos; }
    Vector ropeSin() { return ropeSin; }
    Backend.Attention attentionShape() { return attention; }

    /** The buffer that holds a site's input. */
    private Buffer input(Site site) {
        return switch (site) {
            case QKV, GATE_UP -> xb;
            case O -> att;
            case DOWN -> gate;
        };
    }

    /**
     * Calibration: runs decoder layer {@code l} alone on {@code residual[from, from + n)} (the
     * residual stream entering the layer, one row per token at positions {@code [pos, pos + n)});
     * when {@code update}, the rows are replaced by the stream leaving the layer, or where the hook
     * stopped it. Tokens of one sequence must come in position order (they fill layer l's KV cache).
     */
    public void runLayer(int l, float[][] residual, int from, int n, int pos, boolean update, ForwardHook hook) {
        resumeLayer(l, Site.QKV, residual, null, 0, from, n, pos, update, hook);
    }

    /**
     * Calibration: as {@link #runLayer}, but starting at {@code start} with that site's input given
     * (row t at {@code input[inputOffset + t·width]}), so that what comes before it is not run
     * again. The residual rows must be the stream at that point: entering the layer for
     * {@link Site#O}, after attention for {@link Site#GATE_UP} and {@link Site#DOWN} (what a run
     * stopped at GATE_UP with {@code update} leaves). Only a run from QKV touches the KV cache.
     */
    public void resumeLayer(int l, Site start, float[][] residual, float[] input, int inputOffset,
                            int from, int n, int pos, boolean update, ForwardHook hook) {
        if (n < 1 || n > batch || pos + n > context) throw new IllegalArgumentException("rows " + n + " at " + pos);
        for (int t = 0; t < n; t++) backend.write(x, t, residual[from + t]);
        if (start != Site.QKV) {
            Buffer in = input(start);
            for (int t = 0; t < n; t++) backend.write(in, t, input, inputOffset + t * in.cols());
        }
        layer(l, pos, n, start, hook, null);
        if (update) for (int t = 0; t < n; t++) backend.read(x, t, residual[from + t]);
    }

    /** Width of a site's input in this model. */
    public int inputWidth(Site site) { return input(site).cols(); }

    /** The embedding rows of {@code tokens} (the residual stream entering layer 0). */
    public float[][] embed(int[] tokens) {
        float[][] out = new float[tokens.length][config.hiddenSize()];
        for (int i = 0; i < tokens.length; i += batch) {
            int n = Math.min(batch, tokens.length - i);
            backend.embed(embedding, tokens, i, n, x);
            for (int t = 0; t < n; t++) backend.read(x, t, out[i + t]);
        }
        return out;
    }

    /** Number of decoder layers. */
    public int layerCount() { return layers.length; }

    /**
     * Replaces one projection weight ({@code model.layers.L.<proj>.weight}) by {@code weights}'
     * matrix of that name: calibration swaps in each layer as soon as it is compressed.
     */
    public void replaceWeight(String name, WeightSource weights) {
        String prefix = "model.layers.";
        int dot = name.indexOf('.', prefix.length());
        if (!name.startsWith(prefix) || dot < 0 || !name.endsWith(".weight")) throw new IllegalArgumentException("not a layer weight: " + name);
        int l = Integer.parseInt(name.substring(prefix.length(), dot));
        String proj = name.substring(dot + 1, name.length() - ".weight".length());
        Layer L = layers[l];
        Linear p = new Linear(backend.matrix(weights, name), switch (proj) {
            case "self_attn.q_proj" -> L.q.bias;
            case "self_attn.k_proj" -> L.k.bias;
            case "self_attn.v_proj" -> L.v.bias;
            case "self_attn.o_proj" -> L.o.bias;
            case "mlp.gate_proj" -> L.gate.bias;
            case "mlp.up_proj" -> L.up.bias;
            case "mlp.down_proj" -> L.down.bias;
            default -> throw new IllegalArgumentException("not a projection: " + name);
        });
        layers[l] = new Layer(L.attnNorm, proj.equals("self_attn.q_proj") ? p : L.q, proj.equals("self_attn.k_proj") ? p : L.k,
                L.qNorm, L.kNorm, proj.equals("self_attn.v_proj") ? p : L.v, proj.equals("self_attn.o_proj") ? p : L.o,
                L.mlpNorm, proj.equals("mlp.gate_proj") ? p : L.gate, proj.equals("mlp.up_proj") ? p : L.up,
                proj.equals("mlp.down_proj") ? p : L.down);
    }

    /** Projections sharing the input {@code in} (c may be null), into {@code outs} in that order: one batched call. */
    private void project(Buffer[] outs, Linear a, Linear b, Linear c, Buffer in, int n) {
        Weight[] ws = c == null ? new Weight[] {a.weight, b.weight} : new Weight[] {a.weight, b.weight, c.weight};
        backend.matmul(outs, ws, in, n);
        if (a.bias != null) backend.addBias(outs[0], a.bias, n);
        if (b.bias != null) backend.addBias(outs[1], b.bias, n);
        if (c != null && c.bias != null) backend.addBias(outs[2], c.bias, n);
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
