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
 * written out with the {@code heal} ops, forward and backward, on one sequence at a time. Trainable:
 * every compressed projection's row scales, low-rank factors and bias, every RMSNorm weight (q/k
 * norms included) and the biases of projections left dense. Frozen: ternary codes, rotations,
 * dense projections' weights, the embedding and the output head.
 *
 * <p>Activation checkpointing: the forward keeps only each block's input (the residual stream);
 * the backward runs each block's forward again, keeping its intermediates, just before going back
 * through it. Peak activation memory is then one block's intermediates plus (layers + 1) residual
 * rows per token, and the vocabulary-wide logits once.
 */
final class Student {
    final ModelConfig config;
    private final int hidden, qDim, kvDim, inter, vocab, maxTokens, threads;
    private final float eps;
    private final float[] embedding, head, ropeCos, ropeSin;
    private final Block[] blocks;
    final Norm finalNorm;
    private final Attention attention;
    private final Loss loss;
    private final Workspace ws;
    /** Every trainable array with its gradient, in a fixed order. */
    final List<Adam.Param> params = new ArrayList<>();

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

        Projection(String name, CompressedLayer stored, float[] bias, int maxTokens) {
            this.name = name;
            this.stored = stored;
            this.rows = stored.rows();
            this.cols = stored.cols();
            this.linear = CompressedLinear.of(stored);
            this.p = CompressedLinear.params(stored, bias);
            this.g = p.zerosLike();
            this.saved = linear.activations(maxTokens);
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
     */
    Student(ModelConfig config, WeightSource source, Map<String, CompressedLayer> compressed, int maxTokens, int threads) {
        this(config, source, compressed, Map.of(), maxTokens, threads);
    }

    /** @param stored the embedding and head as stored in the file (floats by name), where they differ from the source's */
    Student(ModelConfig config, WeightSource source, Map<String, CompressedLayer> compressed, Map<String, float[]> stored,
            int maxTokens, int threads) {
        this.config = config;
        this.hidden = config.hiddenSize();
        this.qDim = config.qDim();
        this.kvDim = config.kvDim();
        this.eps = config.rmsNormEps();
        this.maxTokens = maxTokens;
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
        if (c != null) return new Projection(name + ".weight", c, bias, maxTokens);
        Tensor t = source.tensor(name + ".weight");
        return new Projection(name + ".weight", t.toFloats(), t.rows(), t.cols(), bias);
    }

    private void addNorm(Norm n) { params.add(new Adam.Param(n.name, n.w, n.grad, false)); }

    private void addProjection(Projection p) {
        String base = p.name.substring(0, p.name.length() - ".weight".length());
        if (p.compressed()) {
            params.add(new Adam.Param(p.name + "#scales", p.p.scales(), p.g.scales(), false));
            if (p.p.a().length > 0) {
                params.add(new Adam.Param(p.name + "#a", p.p.a(), p.g.a(), false));
                params.add(new Adam.Param(p.name + "#b", p.p.b(), p.g.b(), false));
            }
        }
        if (p.bias != null) params.add(new Adam.Param(base + ".bias", p.bias, p.biasGrad, false));
    }

    int vocab() { return vocab; }

    /** Buffers of one block's forward and backward, and the checkpoints, for {@code maxTokens} tokens. */
    private final class Workspace {
        final float[][] residual = new float[config.layers() + 1][maxTokens * hidden];
        final float[] x = new float[maxTokens * hidden], xMid = new float[maxTokens * hidden];
        final float[] h1 = new float[maxTokens * hidden], h2 = new float[maxTokens * hidden], hf = new float[maxTokens * hidden];
        final float[] rstd1 = new float[maxTokens], rstd2 = new float[maxTokens], rstdF = new float[maxTokens];
        final float[] q = new float[maxTokens * qDim], k = new float[maxTokens * kvDim], v = new float[maxTokens * kvDim];
        final float[] qn = new float[maxTokens * qDim], kn = new float[maxTokens * kvDim];
        final float[] rstdQ = new float[maxTokens * config.heads()], rstdK = new float[maxTokens * config.kvHeads()];
        final float[] qr = new float[maxTokens * qDim], kr = new float[maxTokens * kvDim];
        final float[] probs = new float[attention.probsFloats(maxTokens)], att = new float[maxTokens * qDim];
        final float[] o = new float[maxTokens * hidden], d = new float[maxTokens * hidden];
        final float[] gate = new float[maxTokens * inter()], up = new float[maxTokens * inter()], act = new float[maxTokens * inter()];
        final float[] logits = new float[maxTokens * vocab];
        // gradients
        final float[] dx = new float[maxTokens * hidden], dxMid = new float[maxTokens * hidden];
        final float[] dh = new float[maxTokens * hidden];
        final float[] dAct = new float[maxTokens * inter()], dGate = new float[maxTokens * inter()], dUp = new float[maxTokens * inter()];
        final float[] dAtt = new float[maxTokens * qDim], dq = new float[maxTokens * qDim], dk = new float[maxTokens * kvDim], dv = new float[maxTokens * kvDim];
        final float[] dqn = new float[maxTokens * qDim], dkn = new float[maxTokens * kvDim];
        float[] scratch = new float[0];

        float[] scratch(int floats) {
            if (scratch.length < floats) scratch = new float[floats];
            return scratch;
        }
    }

    private int inter() { return blocks[0].gate.rows; }

    /**
     * The loss of one sequence against the teacher's targets (the mean over its positions), and with
     * {@code train} the gradients of every parameter added into their arrays.
     */
    double step(TeacherTargets target, boolean train) {
        int n = target.positions();
        if (n < 1 || n > maxTokens) throw new IllegalArgumentException(n + " positions, at most " + maxTokens);
        Workspace w = ws;
        for (int t = 0; t < n; t++) System.arraycopy(embedding, target.ids()[t] * hidden, w.residual[0], t * hidden, hidden);
        for (int l = 0; l < blocks.length; l++) {
            System.arraycopy(w.residual[l], 0, w.x, 0, n * hidden);
            blockForward(blocks[l], w.x, n);
            System.arraycopy(w.x, 0, w.residual[l + 1], 0, n * hidden);
        }
        float[] xl = w.residual[blocks.length];
        RmsNorm.forward(w.hf, w.rstdF, xl, finalNorm.w, n, hidden, eps, threads);
        OutputHead.forward(w.logits, w.hf, head, n, hidden, vocab, threads);
        double value = loss.klTopK(w.logits, target.top(), target.prob(), target.k(), null, n, train, threads);
        if (!train) return value;
        Arrays.fill(w.dh, 0, n * hidden, 0f);
        OutputHead.backward(w.dh, w.logits, head, n, hidden, vocab, threads);
        Arrays.fill(w.dx, 0, n * hidden, 0f);
        RmsNorm.backward(w.dx, finalNorm.grad, w.dh, xl, finalNorm.w, w.rstdF, n, hidden, threads);
        for (int l = blocks.length - 1; l >= 0; l--) {
            System.arraycopy(w.residual[l], 0, w.x, 0, n * hidden);
            blockForward(blocks[l], w.x, n); // again, keeping the block's intermediates
            blockBackward(blocks[l], w.residual[l], n);
        }
        return value;
    }

    /** Decoder block forward on the residual {@code x} (in place), leaving its intermediates in the workspace. */
    private void blockForward(Block b, float[] x, int n) {
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
        Rope.forward(w.qr, q, ropeCos, ropeSin, n, qDim, hd, threads);
        Rope.forward(w.kr, k, ropeCos, ropeSin, n, kvDim, hd, threads);
        attention.forward(w.att, w.probs, w.qr, w.kr, w.v, n, threads);
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
    private void blockBackward(Block b, float[] input, int n) {
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
        attention.backward(w.dqn, w.dkn, w.dv, w.dAtt, w.probs, w.qr, w.kr, w.v, n, threads);
        // dqn/dkn hold the gradients of the rotated q/k: back through the rotation.
        Arrays.fill(w.dq, 0, n * qDim, 0f);
        Arrays.fill(w.dk, 0, n * kvDim, 0f);
        if (b.qNorm != null) {
            float[] tmp = w.dAtt; // free now: the rotation's gradient, then back through the head norm
            Arrays.fill(tmp, 0, n * qDim, 0f);
            Rope.backward(tmp, w.dqn, ropeCos, ropeSin, n, qDim, hd, threads);
            RmsNorm.backward(w.dq, b.qNorm.grad, tmp, w.q, b.qNorm.w, w.rstdQ, n * config.heads(), hd, threads);
        } else {
            Rope.backward(w.dq, w.dqn, ropeCos, ropeSin, n, qDim, hd, threads);
        }
        if (b.kNorm != null) {
            float[] tmp = w.dqn; // free now
            Arrays.fill(tmp, 0, n * kvDim, 0f);
            Rope.backward(tmp, w.dkn, ropeCos, ropeSin, n, kvDim, hd, threads);
            RmsNorm.backward(w.dk, b.kNorm.grad, tmp, w.k, b.kNorm.w, w.rstdK, n * config.kvHeads(), hd, threads);
        } else {
            Rope.backward(w.dk, w.dkn, ropeCos, ropeSin, n, kvDim, hd, threads);
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
        if (p.compressed()) p.linear.backward(dx, p.g, null, dy, p.saved, p.p, ws.scratch(p.linear.scratchFloats(n)), n, threads);
        else DenseLinear.backward(dx, p.biasGrad, dy, p.weight, n, p.cols, p.rows, threads);
    }

    /** The compressed layers with the trained scales and factors, in stored form (codes and rotation as they were). */
    Map<String, CompressedLayer> layers() {
        Map<String, CompressedLayer> out = new LinkedHashMap<>();
        for (Block b : blocks)
            for (Projection p : List.of(b.q, b.k, b.v, b.o, b.gate, b.up, b.down))
                if (p.compressed()) out.put(p.name, p.stored.withFactors(p.p.scales(), p.p.a(), p.p.b()));
        return out;
    }

    /** Every trained vector (norm weights, biases) by tensor name, as floats. */
    Map<String, float[]> vectors() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Adam.Param p : params) if (!p.name().contains("#")) out.put(p.name(), p.value());
        return out;
    }
}
