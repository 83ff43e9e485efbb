package ai.lort.model;

import ai.lort.LortException;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.JsonNode;
import ai.lort.util.StrictJson;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of a Hugging Face {@code config.json} (and {@code generation_config.json}) that the
 * Llama-family forward pass needs. Reads both layouts: transformers 4's top-level
 * {@code rope_theta} / {@code rope_scaling} and transformers 5's {@code rope_parameters}.
 *
 * @param slidingWindow attention window in tokens (Mistral), 0 for full attention
 * @param eosIds        every end-of-sequence id named by either file
 */
public record ModelConfig(String architecture, String modelType, int hiddenSize, int intermediateSize,
                          int layers, int heads, int kvHeads, int headDim, int vocabSize, int maxPositions,
                          float rmsNormEps, Rope rope, int slidingWindow, int bosId, Set<Integer> eosIds) {

    /** Rotary embedding parameters; {@code type} is default, linear or llama3. */
    public record Rope(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                       int originalMaxPositions) {
        public static Rope plain(double theta) { return new Rope("default", theta, 1, 0, 0, 0); }
    }

    /** Architectures the forward pass runs (model_type in parentheses). */
    public static final List<String> SUPPORTED = List.of(
            "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM");
    private static final Set<String> MODEL_TYPES = Set.of("llama", "mistral", "qwen2", "qwen3");

    public int qDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    public boolean isEos(int id) { return eosIds.contains(id); }

    /** Weights of the matrices and the embedding, counted from the shapes (an untied head not included). */
    public long parameters() {
        long attention = (long) hiddenSize * (qDim() + 2L * kvDim()) + (long) qDim() * hiddenSize;
        long mlp = 3L * hiddenSize * intermediateSize;
        return layers * (attention + mlp) + (long) vocabSize * hiddenSize;
    }

    /** Reads config.json (required) and generation_config.json (optional) from the weights. */
    public static ModelConfig load(WeightSource weights) {
        byte[] config = weights.file("config.json").orElseThrow(() ->
                new Unsupported("the model has no config.json; put the model's config.json beside its weights"));
        return parse(config, weights.file("generation_config.json").orElse(null));
    }

    /**
     * Parses and validates config.json (and generation_config.json when given). Throws
     * {@link Unsupported} when the engine does not run the model (architecture, activation, rope
     * type, or a field the engine needs is absent), and a plain {@link LortException} naming the
     * field when a value is out of range or inconsistent (compress refuses those too).
     */
    public static ModelConfig parse(byte[] configJson, byte[] generationConfigJson) {
        JsonNode c = StrictJson.object(configJson, "config.json");
        JsonNode g = generationConfigJson == null ? null : StrictJson.object(generationConfigJson, "generation_config.json");

        String arch = c.path("architectures").path(0).asText("");
        String type = c.path("model_type").asText("");
        if (!MODEL_TYPES.contains(type) && !SUPPORTED.contains(arch))
            throw new Unsupported("architecture " + (arch.isEmpty() ? type : arch) + " (model_type '" + type
                    + "') is not supported by the inference engine (supported: " + String.join(", ", SUPPORTED)
                    + "); compression still works on it");
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu") && !act.equals("swish"))
            throw new Unsupported(arch + " with hidden_act '" + act + "' is not supported (the engine runs SwiGLU, silu)");

        int hidden = required(c, "hidden_size", MAX_WIDTH);
        int heads = required(c, "num_attention_heads", MAX_HEADS);
        int kvHeads = optional(c, "num_key_value_heads", 1, heads, heads);
        if (heads % kvHeads != 0) throw invalid("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        if (!present(c, "head_dim") && hidden % heads != 0)
            throw invalid("num_attention_heads " + heads + " does not divide hidden_size " + hidden + " (and there is no head_dim)");
        int headDim = optional(c, "head_dim", 1, MAX_WIDTH, hidden / heads);
        if ((long) heads * headDim > MAX_WIDTH) throw invalid("num_attention_heads × head_dim = " + (long) heads * headDim + " exceeds " + MAX_WIDTH);
        if (headDim % 2 != 0) throw invalid("head_dim " + headDim + " is odd; rotary embeddings rotate pairs of values");
        int intermediate = required(c, "intermediate_size", MAX_WIDTH);
        int layers = required(c, "num_hidden_layers", MAX_LAYERS);
        int vocab = required(c, "vocab_size", MAX_VOCAB);
        int maxPositions = optional(c, "max_position_embeddings", 1, MAX_POSITIONS, 2048);
        double eps = number(c, "rms_norm_eps", 1e-6);
        if (!(eps > 0 && eps < 1)) throw invalid("rms_norm_eps " + eps + " must be above 0 and below 1");

        int window = 0;
        JsonNode sw = c.path("sliding_window");
        boolean slidingOn = type.equals("mistral") || c.path("use_sliding_window").asBoolean(false);
        if (sw.isNumber() && slidingOn) {
            if (!type.equals("mistral")) throw new Unsupported(arch + " with use_sliding_window true is not supported yet");
            window = optional(c, "sliding_window", 1, Integer.MAX_VALUE, 0);
        }

        Set<Integer> eos = new TreeSet<>();
        addIds(eos, c.path("eos_token_id"), "config.json: eos_token_id");
        if (g != null) addIds(eos, g.path("eos_token_id"), "generation_config.json: eos_token_id");
        int bos = tokenId(c.path("bos_token_id"), "config.json: bos_token_id");
        if (g != null && g.path("bos_token_id").isNumber()) bos = tokenId(g.get("bos_token_id"), "generation_config.json: bos_token_id");

        return new ModelConfig(arch, type, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions,
                (float) eps, rope(c, arch), window, bos, Set.copyOf(eos));
    }

    /** transformers 5 keeps everything in rope_parameters; transformers 4 splits rope_theta and rope_scaling. */
    private static Rope rope(JsonNode c, String arch) {
        JsonNode p = c.path("rope_parameters");
        JsonNode scaling = p.isObject() ? p : c.path("rope_scaling");
        double theta = p.path("rope_theta").isNumber() ? positive(p, "rope_theta", 10000.0) : positive(c, "rope_theta", 10000.0);
        if (!scaling.isObject()) return Rope.plain(theta);
        String type = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        return switch (type) {
            case "default" -> Rope.plain(theta);
            case "linear" -> new Rope("linear", theta, positive(scaling, "factor", 1.0), 0, 0, 0);
            case "llama3" -> {
                double low = positive(scaling, "low_freq_factor", Double.NaN), high = positive(scaling, "high_freq_factor", Double.NaN);
                if (!(high > low)) throw invalid("rope_scaling high_freq_factor " + high + " must be above low_freq_factor " + low);
                yield new Rope("llama3", theta, positive(scaling, "factor", Double.NaN), low, high,
                        optional(scaling, "original_max_position_embeddings", 1, MAX_POSITIONS, 0));
            }
            default -> throw new Unsupported(arch + " uses rope type '" + type + "', which the engine does not support (default, linear, llama3)");
        };
    }

    private static final int MAX_WIDTH = 1 << 20, MAX_HEADS = 1 << 12, MAX_LAYERS = 1 << 12, MAX_VOCAB = 1 << 24, MAX_POSITIONS = 1 << 30;

    private static boolean present(JsonNode c, String key) {
        return c.has(key) && !c.get(key).isNull();
    }

    /** A required integer field in 1..max; its absence means the engine cannot run the model. */
    private static int required(JsonNode c, String key, int max) {
        if (!present(c, key)) throw new Unsupported("config.json has no '" + key + "'; is it a causal language model's config?");
        return integer(c, key, 1, max);
    }

    private static int optional(JsonNode c, String key, int min, int max, int absent) {
        return present(c, key) ? integer(c, key, min, max) : absent;
    }

    private static int integer(JsonNode c, String key, int min, int max) {
        JsonNode n = c.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw invalid(key + " must be an integer, not " + StrictJson.describe(n));
        if (n.intValue() < min || n.intValue() > max) throw invalid(key + " is " + n.intValue() + ", outside " + min + ".." + max);
        return n.intValue();
    }

    /** A finite number, or {@code absent} when the key is missing or null. */
    private static double number(JsonNode c, String key, double absent) {
        if (!present(c, key)) {
            if (Double.isNaN(absent)) throw invalid(key + " is missing");
            return absent;
        }
        JsonNode n = c.get(key);
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) throw invalid(key + " must be a finite number, not " + StrictJson.describe(n));
        return n.asDouble();
    }

    private static double positive(JsonNode c, String key, double absent) {
        double v = number(c, key, absent);
        if (!(v > 0)) throw invalid(key + " is " + v + "; it must be above 0");
        return v;
    }

    private static int tokenId(JsonNode n, String what) {
        if (n.isMissingNode() || n.isNull()) return -1;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < -1) throw new LortException(what + " must be a token id (an integer from 0, or -1 for none), not " + StrictJson.describe(n));
        return n.intValue();
    }

    private static void addIds(Set<Integer> out, JsonNode n, String what) {
        if (n.isArray()) n.forEach(e -> out.add(tokenId(e, what)));
        else if (!n.isMissingNode() && !n.isNull()) out.add(tokenId(n, what));
    }

    private static LortException invalid(String what) {
        return new LortException("config.json: " + what + "; fix the model's config.json");
    }

    /** The engine does not run this model (the compressor then uses its weight-only method). */
    public static final class Unsupported extends LortException {
        public Unsupported(String why) { super(why); }
    }
}
