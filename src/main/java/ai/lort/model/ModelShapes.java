package ai.lort.model;

import ai.lort.LortException;
import ai.lort.load.DType;
import ai.lort.weights.WeightSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Llama-family decoder expects of a model's weights, given its config: every tensor it
 * reads present with the shape the config implies, dense ones of a float dtype, and no decoder
 * layer beyond num_hidden_layers. Checked before any work (compress, infer, eval), so that weights
 * that do not match their config.json are refused by name instead of running as garbage.
 */
public final class ModelShapes {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

    private ModelShapes() {}

    /** The expected shape of every weight the decoder may read, and whether it must be there. */
    record Expected(long[] shape, boolean required, boolean dense) {}

    static Map<String, Expected> expected(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize(), vocab = c.vocabSize(), hd = c.headDim();
        Map<String, Expected> e = new LinkedHashMap<>();
        e.put("model.embed_tokens.weight", new Expected(new long[] {vocab, h}, true, true));
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            e.put(p + "input_layernorm.weight", new Expected(new long[] {h}, true, true));
            e.put(p + "post_attention_layernorm.weight", new Expected(new long[] {h}, true, true));
            linear(e, p + "self_attn.q_proj", q, h);
            linear(e, p + "self_attn.k_proj", kv, h);
            linear(e, p + "self_attn.v_proj", kv, h);
            linear(e, p + "self_attn.o_proj", h, q);
            linear(e, p + "mlp.gate_proj", inter, h);
            linear(e, p + "mlp.up_proj", inter, h);
            linear(e, p + "mlp.down_proj", h, inter);
            e.put(p + "self_attn.q_norm.weight", new Expected(new long[] {hd}, false, true));
            e.put(p + "self_attn.k_norm.weight", new Expected(new long[] {hd}, false, true));
        }
        e.put("model.norm.weight", new Expected(new long[] {h}, true, true));
        e.put("lm_head.weight", new Expected(new long[] {vocab, h}, false, false));
        return e;
    }

    private static void linear(Map<String, Expected> e, String name, long out, long in) {
        e.put(name + ".weight", new Expected(new long[] {out, in}, true, false));
        e.put(name + ".bias", new Expected(new long[] {out}, false, true));
    }

    /** Throws, naming the tensor and the config fields involved, where the weights do not fit {@code c}. */
    public static void check(ModelConfig c, WeightSource w) {
        for (Map.Entry<String, Expected> e : expected(c).entrySet()) {
            String name = e.getKey();
            Expected want = e.getValue();
            Optional<WeightSource.Entry> got = w.entry(name);
            if (got.isEmpty()) {
                if (!want.required) continue;
                Matcher m = LAYER.matcher(name);
                if (m.matches()) throw new LortException("the weights have no " + name + " but config.json's num_hidden_layers is " + c.layers()
                        + "; the config does not belong to these weights");
                throw new LortException("the weights have no " + name + "; they are not a complete " + c.architecture() + " model");
            }
            long[] shape = got.get().shape();
            if (!Arrays.equals(shape, want.shape))
                throw new LortException(name + " has shape " + Arrays.toString(shape) + " but config.json (" + fields(name)
                        + ") implies " + Arrays.toString(want.shape) + "; the config does not match the weights");
            DType dtype = got.get().dtype();
            if (dtype == null && want.dense && w.quantized(name).isEmpty()) // group-quantized (q8/q4) runs as it is
                throw new LortException(name + " is stored compressed, but the engine needs it dense; compress the model again");
            if (dtype != null && !dtype.isCompressible())
                throw new LortException(name + " has dtype " + dtype + "; the engine reads F32, F16 and BF16 weights");
        }
        int maxLayer = -1;
        for (String name : w.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches()) maxLayer = Math.max(maxLayer, m.group(1).length() > 6 ? Integer.MAX_VALUE : Integer.parseInt(m.group(1)));
        }
        if (maxLayer >= c.layers())
            throw new LortException("the weights hold decoder layer " + maxLayer + " but config.json's num_hidden_layers is " + c.layers()
                    + "; the config does not belong to these weights");
    }

    /** The KV cache (allocated whole, up front) and a batch's activations must fit the heap that is left. */
    static void checkHeap(ModelConfig c, int context, int batch) {
        long cacheRow = (long) c.kvDim() * context;
        if (cacheRow > Integer.MAX_VALUE - 8)
            throw new LortException("a context of " + context + " tokens needs a KV cache row of " + cacheRow + " floats, more than one array holds; lower --ctx");
        long widest = Math.max(Math.max(c.hiddenSize(), c.qDim()), Math.max(c.intermediateSize(), c.vocabSize()));
        long bytes = 4 * (2L * c.layers() * cacheRow + 8L * batch * widest);
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free)
            throw new LortException(String.format(java.util.Locale.ROOT,
                    "a context of %d tokens needs %.1f GiB for the KV cache and activations, but only %.1f GiB of heap is free; lower --ctx (or raise LORT_HEAP)",
                    context, bytes / (double) (1L << 30), free / (double) (1L << 30)));
    }

    /** The config fields a tensor's shape comes from, for messages. */
    private static String fields(String name) {
        if (name.contains("q_proj") || name.contains("o_proj")) return "hidden_size, num_attention_heads, head_dim";
        if (name.contains("k_proj") || name.contains("v_proj")) return "hidden_size, num_key_value_heads, head_dim";
        if (name.contains("mlp.")) return "hidden_size, intermediate_size";
        if (name.contains("q_norm") || name.contains("k_norm")) return "head_dim";
        if (name.contains("embed") || name.contains("lm_head")) return "vocab_size, hidden_size";
        return "hidden_size";
    }
}
