package ai.lort.select;

import ai.lort.load.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decides which tensors are compressed: two-dimensional weights whose both dimensions are at
 * least {@code minDim}, except embeddings, the output head (unless asked for), norms and biases.
 * Everything else is carried over as it is.
 */
public final class LayerSelector {
    /** Name fragments of embedding tables across common architectures. */
    static final List<String> EMBEDDINGS = List.of("embed_tokens", "wte", "wpe", "word_embeddings",
            "position_embeddings", "token_type_embeddings", "embed_positions", "tok_embeddings", "embeddings");
    static final List<String> HEADS = List.of("lm_head", "embed_out", "output.weight");
    private static final Pattern NORM = Pattern.compile("(^|[._])(norm|ln|layernorm|layer_norm|rmsnorm)([._0-9]|$)|_norm|norm_|ln_\\d|\\.ln\\d");

    private final int minDim;
    private final boolean includeHead;

    public LayerSelector(int minDim, boolean includeHead) {
        this.minDim = minDim;
        this.includeHead = includeHead;
    }

    /** Why a tensor is carried over, or null when it is compressed. */
    public String skipReason(Tensor t) {
        String name = t.name().toLowerCase(Locale.ROOT);
        if (t.rank() != 2) return t.rank() + "-D tensor";
        if (name.endsWith(".bias") || name.endsWith("_bias")) return "bias";
        if (NORM.matcher(name).find()) return "norm";
        for (String e : EMBEDDINGS) if (segmentMatch(name, e)) return "embedding";
        if (!includeHead) for (String h : HEADS) if (name.contains(h)) return "output head (use --include-lm-head to compress it)";
        if (t.shape()[0] < minDim || t.shape()[1] < minDim)
            return "smaller than --min-dim " + minDim + " (" + t.shape()[0] + "x" + t.shape()[1] + ")";
        return null;
    }

    private static boolean segmentMatch(String name, String fragment) {
        for (String part : name.split("\\.")) if (part.equals(fragment)) return true;
        return false;
    }
}
