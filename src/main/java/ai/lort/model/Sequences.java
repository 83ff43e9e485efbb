package ai.lort.model;

import ai.lort.LortException;
import ai.lort.engine.Backend;
import ai.lort.engine.Backend.Buffer;

/**
 * KV caches of several sequences that a {@link LlamaModel} decodes in one batch (continuous
 * batching): row i of a {@link #step} is the next token of sequence {@code sequence[i]} at its
 * own position {@code position[i]}, so sequences that started at different times still share one
 * pass over the weights per step. A prompt enters its sequence's cache in batches of tokens
 * ({@link #prefill}).
 *
 * <p>Each row runs exactly what a one-token {@link LlamaModel#forward} runs (rotary embedding,
 * cache write and attention with n = 1), and the batched products give every row the bits a lone
 * token gets up to 7 rows (the compressed layers' products at any batch; see
 * {@code kernel.Matrix#matmul}), so a sequence's logits do not depend on the others in the step.
 * A prefill runs the operations of {@link LlamaModel#prefill}. Caches are allocated when a
 * sequence is first used. Backends without row views ({@code Backend#view}) run one row a step.
 */
public final class Sequences implements LlamaModel.RowAttention {
    private final LlamaModel model;
    private final Backend backend;
    private final Buffer[][] keys, values; // [sequence][layer]
    /** Row views of q, k and att (one per batch row), made on the first step of several rows. */
    private Buffer[] qRows, kRows, attRows;
    // The current call: a prefill of one sequence, or a step's rows.
    private int prefill = -1;
    private int[] rowSequence, rowPosition;

    public Sequences(LlamaModel model, int count) {
        if (count < 1) throw new IllegalArgumentException("sequences: " + count);
        this.model = model;
        this.backend = model.backend();
        keys = new Buffer[count][];
        values = new Buffer[count][];
    }

    /** How many sequences this holds. */
    public int count() { return keys.length; }

    /** Bytes of one sequence's cache: keys and values of every layer over the whole context. */
    public long bytesPerSequence() { return model.lockstepBytesPerSequence(); }

    private void ensureCache(int s) {
        if (keys[s] != null) return;
        int layers = model.layerCount(), width = model.config().kvDim();
        keys[s] = new Buffer[layers];
        values[s] = new Buffer[layers];
        for (int l = 0; l < layers; l++) {
            keys[s][l] = backend.buffer(model.context(), width);
            values[s][l] = backend.buffer(model.context(), width);
        }
    }

    /**
     * Runs {@code tokens[from, to)} of sequence {@code s} at positions {@code [pos, pos + to − from)}
     * in batches of {@link LlamaModel#batch()} tokens; afterwards {@link LlamaModel#logits} row 0
     * holds the logits of the last token.
     */
    public void prefill(int s, int[] tokens, int from, int to, int pos) {
        if (pos + (to - from) > model.context())
            throw new LortException("the context is full (" + model.context() + " tokens); give a larger --ctx");
        ensureCache(s);
        prefill = s;
        try {
            for (int i = from; i < to; i += model.batch()) {
                int n = Math.min(model.batch(), to - i);
                model.forward(this, tokens, i, n, pos + (i - from), false);
            }
        } finally {
            prefill = -1;
        }
    }

    /**
     * One decode step of {@code n} rows (at most {@link LlamaModel#batch()}): row i is token
     * {@code tokens[i]} of sequence {@code sequence[i]} at position {@code position[i]} (each
     * sequence at most once); afterwards {@link LlamaModel#logits} row i holds its logits.
     */
    public void step(int[] sequence, int[] tokens, int[] position, int n) {
        for (int i = 0; i < n; i++) {
            if (position[i] >= model.context()) throw new LortException("the context is full (" + model.context() + " tokens)");
            ensureCache(sequence[i]);
        }
        if (n > 1 && qRows == null) views();
        rowSequence = sequence;
        rowPosition = position;
        try {
            model.forward(this, tokens, 0, n, 0, true);
        } finally {
            rowSequence = rowPosition = null;
        }
    }

    private void views() {
        int rows = model.batch();
        qRows = new Buffer[rows];
        kRows = new Buffer[rows];
        attRows = new Buffer[rows];
        for (int r = 0; r < rows; r++) {
            qRows[r] = backend.view(model.q(), r, 1);
            kRows[r] = backend.view(model.k(), r, 1);
            attRows[r] = backend.view(model.att(), r, 1);
        }
    }

    @Override
    public void attend(int l, int pos, int n) {
        int headDim = model.config().headDim();
        Backend.Attention shape = model.attentionShape();
        Buffer q = model.q(), k = model.k(), v = model.v(), att = model.att();
        if (prefill >= 0) {
            Buffer keyCache = keys[prefill][l], valueCache = values[prefill][l];
            backend.rope(q, headDim, model.ropeCos(), model.ropeSin(), pos, n);
            backend.rope(k, headDim, model.ropeCos(), model.ropeSin(), pos, n);
            backend.copyRows(keyCache, pos, k, 0, n);
            backend.copyRows(valueCache, pos, v, 0, n);
            backend.attention(att, q, keyCache, valueCache, shape, pos, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            int s = rowSequence[i], p = rowPosition[i];
            Buffer qi = n == 1 ? q : qRows[i], ki = n == 1 ? k : kRows[i], atti = n == 1 ? att : attRows[i];
            backend.rope(qi, headDim, model.ropeCos(), model.ropeSin(), p, 1);
            backend.rope(ki, headDim, model.ropeCos(), model.ropeSin(), p, 1);
            backend.copyRows(keys[s][l], p, k, i, 1);
            backend.copyRows(values[s][l], p, v, i, 1);
            backend.attention(atti, qi, keys[s][l], values[s][l], shape, p, 1);
        }
    }
}
