package ai.lort.heal;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.Tensor;
import ai.lort.model.ModelConfig;
import ai.lort.model.RopeTable;
import ai.lort.weights.WeightSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compressed model as healing trains it: the Llama-family decoder of {@code model.LlamaModel}
 * written out with the {@code heal} ops, forward and backward, over a batch of sequences stacked
 * into one pass. Trainable: every compressed projection's row scales, low-rank factors and bias,
 * every RMSNorm weight (q/k norms included) and the biases of projections left dense. Frozen:
 * rotations, dense projections' weights, the embedding and the output head; the ternary codes
 * too, unless code updates are on ({@link #moveCodes}).
 *
 * <p>Activation checkpointing: the forward keeps only each block's input (the residual stream);
 * the backward runs each block's forward again, keeping its intermediates, just before going back
 * through it. Peak activation memory is then one block's intermediates plus (layers + 1) residual
 * rows per token, and the vocabulary-wide logits once.
 *
 * <p>Over 400 lines on purpose: the forward and the backward of a block sit in one file so that
 * each backward step can be read against the forward step it undoes.
 */
final class Student {
    final ModelConfig config;
    private final int hidden, qDim, kvDim, inter, vocab, maxTokens, maxRows, threads;
    private final float eps;
    private final float[] embedding, head, ropeCos, ropeSin;
    private final Block[] blocks;
    final Norm finalNorm;
    private final Attention attention;
    private final Loss loss;
    private final Workspace ws;
    /** Every trainable array with its gradient, in a fixed order. */
    final List<Adam.Param> params = new ArrayList<>();
    private final Map<String, CompressedLinear.Activations> activationsBySlot = new java.util.HashMap<>();

    /** An RMSNorm weight and its gradient. */
    record Norm(String name, float[] w, float[] grad) {}

    /** One projection: compressed (trainable scales, factors, bias) or dense (frozen weight, trainable bias). */
    static final class Projection {
        final String name;
        final int rows, cols;
        final CompressedLayer stored;          // null when dense
        final CompressedLinear linear;         // null when dense
        final CompressedLinear.Params p, g;    // null when dense
        final CompressedLinear.Activations saved;
        final float[] weight, bias, biasGrad;  // dense: weight; both: bias (may be null)
        CodeUpdates updates;                   // compressed, when its codes move

        Projection(String name, CompressedLayer stored, float[] bias, CompressedLinear.Activations saved) {
            this.name = name;
            this.stored = stored;
            this.rows = stored.rows();
            this.cols = stored.cols();
            this.linear = CompressedLinear.of(stored);
            this.p = CompressedLinear.params(stored, bias);
            this.g = p.zerosLike();
            this.saved = saved;
            this.weight = null;
            this.bias = bias;
            this.biasGrad = g.bias();
        }

        Projection(String name, float[] weight, int rows, int cols, float[] bias) {
            this.name = name;
            this.stored = null;
            this.linear = null;
            this.p = null;
            this.g = null;
            this.saved = null;
            this.weight = weight;
            this.rows = rows;
            this.cols = cols;
            this.bias = bias;
            this.biasGrad = bias == null ? null : new float[bias.length];
        }

        boolean compressed() { return linear != null; }
    }

    /** One decoder layer. */
    record Block(Norm attnNorm, Projection q, Projection k, Projection v, Norm qNorm, Norm kNorm, Projection o,
                 Norm mlpNorm, Projection gate, Projection up, Projection down) {}

    /**
     * @param source     the original model (embedding, head, norms, biases, projections left dense)
     * @param compressed the fitted layers by weight name; a projection not in it stays dense
     * @param maxTokens  the longest sequence trained on
     * @param maxRows    the most tokens of one {@link #step} (its sequences stacked)
     */
    Student(ModelConfig config, WeightSource source, Map<String, CompressedLayer> compressed, int maxTokens, int maxRows, int threads) {
        this(config, source, compressed, Map.of(), maxTokens, maxRows, threads);
    }

    /** @param stored the embedding and head as stored in the file (floats by name), where they differ from the source's */
    Student(ModelConfig config, WeightSource source, Map<String, CompressedLayer> compressed, Map<String, float[]> stored,
            int maxTokens, int maxRows, int threads) {
        this.config = config;
        this.hidden = config.hiddenSize();
        this.qDim = config.qDim();
        this.kvDim = config.kvDim();
        this.eps = config.rmsNormEps();
        this.maxTokens = maxTokens;
        this.maxRows = Math.max(maxRows, maxTokens);
        this.threads = threads;
        this.embedding = stored.containsKey("model.embed_tokens.weight") ? stored.get("model.embed_tokens.weight")
                : source.tensor("model.embed_tokens.weight").toFloats();
        // A compressed head (--include-lm-head) runs as its reconstruction, frozen like a dense one.
        CompressedLayer compressedHead = compressed.get("lm_head.weight");
        this.head = compressedHead != null ? LortFile.reconstruct(compressedHead, threads)
                : stored.containsKey("lm_head.weight") ? stored.get("lm_head.weight")
                : source.has("lm_head.weight") ? source.tensor("lm_head.weight").toFloats() : embedding;
        this.vocab = head.length / hidden;
        RopeTable rope = RopeTable.of(config.rope(), config.headDim(), maxTokens);
        this.ropeCos = rope.cos();
        this.ropeSin = rope.sin();
        this.blocks = new Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            String pre = "model.layers." + l + ".";
            blocks[l] = new Block(norm(source, pre + "input_layernorm.weight"),
                    projection(source, compressed, pre + "self_attn.q_proj"), projection(source, compressed, pre + "self_attn.k_proj"),
                    projection(source, compressed, pre + "self_attn.v_proj"),
                    source.has(pre + "self_attn.q_norm.weight") ? norm(source, pre + "self_attn.q_norm.weight") : null,
                    source.has(pre + "self_attn.k_norm.weight") ? norm(source, pre + "self_attn.k_norm.weight") : null,
                    projection(source, compressed, pre + "self_attn.o_proj"), norm(source, pre + "post_attention_layernorm.weight"),
                    projection(source, compressed, pre + "mlp.gate_proj"), projection(source, compressed, pre + "mlp.up_proj"),
                    projection(source, compressed, pre + "mlp.down_proj"));
        }
        this.finalNorm = norm(source, "model.norm.weight");
        this.inter = blocks[0].gate.rows;
        this.attention = new Attention(config.heads(), config.kvHeads(), config.headDim(), config.slidingWindow(), maxTokens);
        this.loss = new Loss(vocab, maxTokens);
        this.ws = new Workspace();
        for (Block b : blocks) {
            addNorm(b.attnNorm);
            for (Projection p : List.of(b.q, b.k, b.v)) addProjection(p);
            if (b.qNorm != null) addNorm(b.qNorm);
            if (b.kNorm != null) addNorm(b.kNorm);
            addProjection(b.o);
            addNorm(b.mlpNorm);
            for (Projection p : List.of(b.gate, b.up, b.down)) addProjection(p);
        }
        addNorm(finalNorm);
    }

    private Norm norm(WeightSource source, String name) {
        float[] w = source.vector(name);
        return new Norm(name, w, new float[w.length]);
    }

    private Projection projection(WeightSource source, Map<String, CompressedLayer> compressed, String name) {
        float[] bias = source.has(name + ".bias") ? source.vector(name + ".bias") : null;
        CompressedLayer c = compressed.get(name + ".weight");
        if (c != null) return new Projection(name + ".weight", c, bias, sharedActivations(compressed, name, c));
        Tensor t = source.tensor(name + ".weight");
        return new Projection(name + ".weight", t.toFloats(), t.rows(), t.cols(), bias);
    }

    /**
     * The saved activations of a compressed projection, one set per position in the block (q, k,
     * ..., down) shared by every block: only the block the backward is in keeps its intermediates
     * (it runs that block's forward again first), so one set, sized for the largest rank of that
     * position, serves them all.
     */
    private CompressedLinear.Activations sharedActivations(Map<String, CompressedLayer> compressed, String name, CompressedLayer c) {
        String slot = name.replaceFirst("^model\\.layers\\.\\d+\\.", "");
        return activationsBySlot.computeIfAbsent(slot, k -> {
            int rank = 0;
            for (int l = 0; l < config.layers(); l++) {
                CompressedLayer other = compressed.get("model.layers." + l + "." + slot + ".weight");
                if (other != null) rank = Math.max(rank, other.rank());
            }
            return CompressedLinear.activations(maxRows, c.rows(), c.cols(), rank);
        });
    }

    private void addNorm(Norm n) { params.add(new Adam.Param(n.name, n.w, n.grad)); }

    private void addProjection(Projection p) {
        String base = p.name.substring(0, p.name.length() - ".weight".length());
        if (p.compressed()) {
            params.add(new Adam.Param(p.name + "#scales", p.p.scales(), p.g.scales(), scaleRate(p.p.scales())));
            if (p.p.a().length > 0) {
                params.add(new Adam.Param(p.name + "#a", p.p.a(), p.g.a()));
                params.add(new Adam.Param(p.name + "#b", p.p.b(), p.g.b()));
            }
        }
        if (p.bias != null) params.add(new Adam.Param(base + ".bias", p.bias, p.biasGrad));
    }

    /** The factor of the learning rate that a layer's row scales train at: {@link HealOptions#SCALE_RATE} times their RMS (1 when they are all zero). */
    static float scaleRate(float[] scales) {
        double sum = 0;
        for (float s : scales) sum += (double) s * s;
        return sum == 0 ? 1f : (float) (HealOptions.SCALE_RATE * Math.sqrt(sum / scales.length));
    }

    int vocab() { return vocab; }

    /**
     * Buffers of one block's forward and backward over up to {@code maxRows} stacked tokens, the
     * checkpoints, and one sequence's logits.
     */
    private final class Workspace {
        final int r = maxRows;
        final float[][] residual = new float[config.layers() + 1][r * hidden];
        final float[] x = new float[r * hidden], xMid = new float[r * hidden];
        final float[] h1 = new float[r * hidden], h2 = new float[r * hidden], hf = new float[r * hidden];
        final float[] rstd1 = new float[r], rstd2 = new float[r], rstdF = new float[r];
        final float[] q = new float[r * qDim], k = new float[r * kvDim], v = new float[r * kvDim];
        final float[] qn = new float[r * qDim], kn = new float[r * kvDim];
        final float[] rstdQ = new float[r * config.heads()], rstdK = new float[r * config.kvHeads()];
        final float[] qr = new float[r * qDim], kr = new float[r * kvDim];
        /** Every sequence's attention probabilities, one after the other: at most heads × maxRows × maxTokens. */
        final float[] probs = new float[config.heads() * r * maxTokens], att = new float[r * qDim];
        final float[] o = new float[r * hidden], d = new float[r * hidden];
        final float[] gate = new float[r * inter()], up = new float[r * inter()], act = new float[r * inter()];
        final float[] logits = new float[maxTokens * vocab];
        // gradients
        final float[] dx = new float[r * hidden], dxMid = new float[r * hidden];
        final float[] dh = new float[r * hidden];
        final float[] dAct = new float[r * inter()], dGate = new float[r * inter()], dUp = new float[r * inter()];
        final float[] dAtt = new float[r * qDim], dq = new float[r * qDim], dk = new float[r * kvDim], dv = new float[r * kvDim];
        final float[] dqn = new float[r * qDim], dkn = new float[r * kvDim];
        /** Per row: its position in its sequence; per sequence: its first row and where its probabilities start. */
        final int[] positions = new int[r];
        int[] row0 = new int[0], probs0 = new int[0];
        float[] scratch = new float[0];

        float[] scratch(int floats) {
            if (scratch.length < floats) scratch = new float[floats];
            return scratch;
        }

        /** Lays out {@code batch}: rows, positions and probability offsets; returns the rows. */
        int layout(List<TeacherTargets> batch) {
            if (row0.length < batch.size()) {
                row0 = new int[batch.size()];
                probs0 = new int[batch.size()];
            }
            int rows = 0, p = 0;
            for (int i = 0; i < batch.size(); i++) {
                int n = batch.get(i).positions();
                if (n < 1 || n > maxTokens) throw new IllegalArgumentException(n + " positions, at most " + maxTokens);
                if (rows + n > maxRows) throw new IllegalArgumentException("more than " + maxRows + " tokens in one step");
                row0[i] = rows;
                probs0[i] = p;
                for (int t = 0; t < n; t++) positions[rows + t] = t;
                rows += n;
                p += config.heads() * n * n;
            }
            return rows;
        }
    }

    private int inter() { return blocks[0].gate.rows; }

    /** The most tokens one {@link #step} takes. */
    int maxRows() { return maxRows; }

    /**
     * The sum over {@code batch}'s sequences of each one's loss against the teacher's targets (the
     * mean over its positions), the sequences stacked into one pass; with {@code train} the
     * gradients of every parameter added into their arrays.
     */
    double step(List<TeacherTargets> batch, boolean train) {
        Workspace w = ws;
        int rows = w.layout(batch);
        for (int i = 0; i < batch.size(); i++) {
            int[] ids = batch.get(i).ids();
            for (int t = 0; t < batch.get(i).positions(); t++) {
                int id = ids[t];
                if (id < 0 || id >= embedding.length / hidden) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
                System.arraycopy(embedding, id * hidden, w.residual[0], (w.row0[i] + t) * hidden, hidden);
            }
        }
        for (int l = 0; l < blocks.length; l++) {
            System.arraycopy(w.residual[l], 0, w.x, 0, rows * hidden);
            blockForward(blocks[l], w.x, batch, rows);
            System.arraycopy(w.x, 0, w.residual[l + 1], 0, rows * hidden);
        }
        float[] xl = w.residual[blocks.length];
        RmsNorm.forward(w.hf, w.rstdF, xl, finalNorm.w, rows, hidden, eps, threads);
        if (train) Arrays.fill(w.dh, 0, rows * hidden, 0f);
        double sum = 0;
        for (int i = 0; i < batch.size(); i++) {
            TeacherTargets target = batch.get(i);
            int n = target.positions();
            OutputHead.forward(w.logits, w.hf, w.row0[i], head, n, hidden, vocab, threads);
            sum += loss.klTopK(w.logits, target.top(), target.prob(), target.k(), null, n, train, threads);
            if (train) OutputHead.backward(w.dh, w.row0[i], w.logits, head, n, hidden, vocab, threads);
        }
        if (!train) return sum;
        Arrays.fill(w.dx, 0, rows * hidden, 0f);
        RmsNorm.backward(w.dx, finalNorm.grad, w.dh, xl, finalNorm.w, w.rstdF, rows, hidden, threads);
        for (int l = blocks.length - 1; l >= 0; l--) {
            System.arraycopy(w.residual[l], 0, w.x, 0, rows * hidden);
            blockForward(blocks[l], w.x, batch, rows); // again, keeping the block's intermediates
            blockBackward(blocks[l], w.residual[l], batch, rows);
        }
        return sum;
    }

    /** Decoder block forward on the residual {@code x} (in place), leaving its intermediates in the workspace. */
    private void blockForward(Block b, float[] x, List<TeacherTargets> batch, int n) {
        Workspace w = ws;
        RmsNorm.forward(w.h1, w.rstd1, x, b.attnNorm.w, n, hidden, eps, threads);
        project(b.q, w.q, w.h1, n);
        project(b.k, w.k, w.h1, n);
        project(b.v, w.v, w.h1, n);
        float[] q = w.q, k = w.k;
        int hd = config.headDim();
        if (b.qNorm != null) {
            RmsNorm.forward(w.qn, w.rstdQ, w.q, b.qNorm.w, n * config.heads(), hd, eps, threads);
            q = w.qn;
        }
        if (b.kNorm != null) {
            RmsNorm.forward(w.kn, w.rstdK, w.k, b.kNorm.w, n * config.kvHeads(), hd, eps, threads);
            k = w.kn;
        }
        Rope.forward(w.qr, q, ropeCos, ropeSin, w.positions, n, qDim, hd, threads);
        Rope.forward(w.kr, k, ropeCos, ropeSin, w.positions, n, kvDim, hd, threads);
        for (int i = 0; i < batch.size(); i++)
            attention.forward(w.att, w.probs, w.probs0[i], w.qr, w.kr, w.v, w.row0[i], batch.get(i).positions(), threads);
        project(b.o, w.o, w.att, n);
        for (int i = 0; i < n * hidden; i++) w.xMid[i] = x[i] + w.o[i];
        RmsNorm.forward(w.h2, w.rstd2, w.xMid, b.mlpNorm.w, n, hidden, eps, threads);
        project(b.gate, w.gate, w.h2, n);
        project(b.up, w.up, w.h2, n);
        SwiGlu.forward(w.act, w.gate, w.up, n * inter(), threads);
        project(b.down, w.d, w.act, n);
        for (int i = 0; i < n * hidden; i++) x[i] = w.xMid[i] + w.d[i];
    }

    /**
     * Back through a block whose forward just ran from {@code input}: {@code ws.dx} holds the
     * gradient of the block's output and is replaced by that of its input.
     */
    private void blockBackward(Block b, float[] input, List<TeacherTargets> batch, int n) {
        Workspace w = ws;
        int hd = config.headDim(), nh = n * hidden;
        // x_out = x_mid + down(silu(gate(h2))·up(h2)), h2 = norm(x_mid)
        System.arraycopy(w.dx, 0, w.dxMid, 0, nh);
        Arrays.fill(w.dAct, 0, n * inter(), 0f);
        projectBack(b.down, w.dAct, w.dx, w.act, n);
        Arrays.fill(w.dGate, 0, n * inter(), 0f);
        Arrays.fill(w.dUp, 0, n * inter(), 0f);
        SwiGlu.backward(w.dGate, w.dUp, w.dAct, w.gate, w.up, n * inter(), threads);
        Arrays.fill(w.dh, 0, nh, 0f);
        projectBack(b.gate, w.dh, w.dGate, w.h2, n);
        projectBack(b.up, w.dh, w.dUp, w.h2, n);
        RmsNorm.backward(w.dxMid, b.mlpNorm.grad, w.dh, w.xMid, b.mlpNorm.w, w.rstd2, n, hidden, threads);
        // x_mid = x_in + o(attention(rope(norm_q(q)), rope(norm_k(k)), v)), q/k/v of h1 = norm(x_in)
        Arrays.fill(w.dAtt, 0, n * qDim, 0f);
        projectBack(b.o, w.dAtt, w.dxMid, w.att, n);
        Arrays.fill(w.dqn, 0, n * qDim, 0f);
        Arrays.fill(w.dkn, 0, n * kvDim, 0f);
        Arrays.fill(w.dv, 0, n * kvDim, 0f);
        for (int i = 0; i < batch.size(); i++)
            attention.backward(w.dqn, w.dkn, w.dv, w.dAtt, w.probs, w.probs0[i], w.qr, w.kr, w.v, w.row0[i], batch.get(i).positions(), threads);
        // dqn/dkn hold the gradients of the rotated q/k: back through the rotation.
        Arrays.fill(w.dq, 0, n * qDim, 0f);
        Arrays.fill(w.dk, 0, n * kvDim, 0f);
        if (b.qNorm != null) {
            float[] tmp = w.dAtt; // free now: the rotation's gradient, then back through the head norm
            Arrays.fill(tmp, 0, n * qDim, 0f);
            Rope.backward(tmp, w.dqn, ropeCos, ropeSin, w.positions, n, qDim, hd, threads);
            RmsNorm.backward(w.dq, b.qNorm.grad, tmp, w.q, b.qNorm.w, w.rstdQ, n * config.heads(), hd, threads);
        } else {
            Rope.backward(w.dq, w.dqn, ropeCos, ropeSin, w.positions, n, qDim, hd, threads);
        }
        if (b.kNorm != null) {
            float[] tmp = w.dqn; // free now
            Arrays.fill(tmp, 0, n * kvDim, 0f);
            Rope.backward(tmp, w.dkn, ropeCos, ropeSin, w.positions, n, kvDim, hd, threads);
            RmsNorm.backward(w.dk, b.kNorm.grad, tmp, w.k, b.kNorm.w, w.rstdK, n * config.kvHeads(), hd, threads);
        } else {
            Rope.backward(w.dk, w.dkn, ropeCos, ropeSin, w.positions, n, kvDim, hd, threads);
        }
        Arrays.fill(w.dh, 0, nh, 0f);
        projectBack(b.q, w.dh, w.dq, w.h1, n);
        projectBack(b.k, w.dh, w.dk, w.h1, n);
        projectBack(b.v, w.dh, w.dv, w.h1, n);
        System.arraycopy(w.dxMid, 0, w.dx, 0, nh);
        RmsNorm.backward(w.dx, b.attnNorm.grad, w.dh, input, b.attnNorm.w, w.rstd1, n, hidden, threads);
    }

    private void project(Projection p, float[] y, float[] x, int n) {
        if (p.compressed()) p.linear.forward(y, p.saved, x, p.p, n, threads);
        else DenseLinear.forward(y, x, p.weight, p.bias, n, p.cols, p.rows, threads);
    }

    /** {@code dx += dy·∂y/∂x} and the projection's parameter gradients; its forward's activations must be the last ones. */
    private void projectBack(Projection p, float[] dx, float[] dy, float[] x, int n) {
        if (p.compressed())
            p.linear.backward(dx, p.g, p.updates == null ? null : p.updates.grad, dy, p.saved, p.p, ws.scratch(p.linear.scratchFloats(n)), n, threads);
        else DenseLinear.backward(dx, p.biasGrad, dy, p.weight, n, p.cols, p.rows, threads);
    }

    /** The compressed projections, in order. */
    private List<Projection> compressedProjections() {
        List<Projection> out = new ArrayList<>();
        for (Block b : blocks)
            for (Projection p : List.of(b.q, b.k, b.v, b.o, b.gate, b.up, b.down))
                if (p.compressed()) out.add(p);
        return out;
    }

    /** From now on, the backward also gathers what {@link #moveCodes} needs (a gradient as large as every compressed layer). */
    void enableCodeUpdates() {
        for (Projection p : compressedProjections()) p.updates = new CodeUpdates(p.rows, p.cols);
    }

    /** Heap that {@link #enableCodeUpdates} takes: {@link CodeUpdates#BYTES_PER_WEIGHT} per compressed weight. */
    long codeUpdateBytes() {
        long n = 0;
        for (Projection p : compressedProjections()) n += (long) p.rows * p.cols;
        return n * CodeUpdates.BYTES_PER_WEIGHT;
    }

    /**
     * Moves codes of every compressed layer ({@link CodeUpdates}): each row's best move, the best
     * over all rows first, while their predicted decreases (gradient units: the loss summed over
     * the step's sequences) sum to at most {@code budget}; returns how many moved.
     */
    long moveCodes(double budget) {
        List<Projection> layers = compressedProjections();
        int total = 0;
        for (Projection p : layers) total += p.rows;
        float[] gain = new float[total];
        int[] column = new int[total];
        int[] first = new int[layers.size()]; // each layer's first row in gain and column
        for (int l = 0, at = 0; l < layers.size(); at += layers.get(l++).rows) {
            Projection p = layers.get(l);
            first[l] = at;
            p.updates.offers(p.linear.codes(), p.p.scales(), gain, column, at, threads);
        }
        // Offers by decreasing gain; ties in layer and row order.
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> gain[a] != gain[b] ? Float.compare(gain[b], gain[a]) : Integer.compare(a, b));
        float[] sorted = new float[total];
        for (int i = 0; i < total; i++) sorted[i] = gain[order[i]];
        int k = CodeUpdates.select(sorted, total, budget);
        for (int m = 0; m < k; m++) {
            int i = order[m], l = Arrays.binarySearch(first, i);
            if (l < 0) l = -l - 2; // the layer whose rows hold i (every layer has rows: first[] rises strictly)
            Projection p = layers.get(l);
            p.updates.move(i - first[l], column[i], p.linear.codes(), p.p.scales());
        }
        return k;
    }

    /** Every parameter array that training changes. */
    List<float[]> state() {
        List<float[]> out = new ArrayList<>();
        for (Adam.Param p : params) out.add(p.value());
        return out;
    }

    /** The code arrays that training changes (those of layers whose codes move). */
    List<byte[]> movingCodes() {
        List<byte[]> out = new ArrayList<>();
        for (Projection p : compressedProjections()) if (p.updates != null) out.add(p.linear.codes());
        return out;
    }

    /** The compressed layers with the trained scales and factors (and codes, when they moved), in stored form. */
    Map<String, CompressedLayer> layers() {
        Map<String, CompressedLayer> out = new LinkedHashMap<>();
        for (Projection p : compressedProjections()) {
            CompressedLayer s = p.stored;
            out.put(p.name, p.updates == null ? s.withFactors(p.p.scales(), p.p.a(), p.p.b())
                    : CompressedLayer.encode(s.name(), s.rows(), s.cols(), s.rank(), s.packing(), s.scaleEncoding(),
                            s.scaleEncoding() == ai.lort.format.ScaleEncoding.ROW_F16 ? ai.lort.util.Half.roundToHalf(p.p.scales()) : p.p.scales(),
                            p.linear.codes().clone(), p.p.a(), p.p.b(), s.rotation()));
        }
        return out;
    }

    /** Every trained vector (norm weights, biases) by tensor name, as floats. */
    Map<String, float[]> vectors() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Adam.Param p : params) if (!p.name().contains("#")) out.put(p.name(), p.value());
        return out;
    }
}
