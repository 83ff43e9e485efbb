package ai.lort.model;

import java.util.Arrays;
import java.util.List;

/**
 * The inputs of a decoder layer's projections, in execution order: q/k/v share one (the normed
 * residual), o reads attention's output, gate/up share the normed residual after attention, down
 * reads SwiGLU's output.
 */
public enum Site {
    QKV("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
    O("self_attn.o_proj"),
    GATE_UP("mlp.gate_proj", "mlp.up_proj"),
    DOWN("mlp.down_proj");

    private static final Site[] ALL = values();
    private final String[] projections;

    Site(String... projections) { this.projections = projections; }

    /** Tensor names of the weights that read this input in layer {@code l}. */
    public List<String> weights(int l) {
        return Arrays.stream(projections).map(p -> "model.layers." + l + "." + p + ".weight").toList();
    }

    /** The site after this one in a layer, or null after the last. */
    Site next() { return ordinal() + 1 < ALL.length ? ALL[ordinal() + 1] : null; }
}
