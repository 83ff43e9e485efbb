package ai.lort.model;

import ai.lort.LortException;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
                new LortException("the model has no config.json; put the model's config.json beside its weights"));
        return parse(config, weights.file("generation_config.json").orElse(null));
    }

    public static ModelConfig parse(byte[] configJson, byte[] generationConfigJson) {
        JsonNode c = json(configJson, "config.json");
        JsonNode g = generationConfigJson == null ? null : json(generationConfigJson, "generation_config.json");

        String arch = c.path("architectures").path(0).asText("");
        String type = c.path("model_type").asText("");
        if (!MODEL_TYPES.contains(type) && !SUPPORTED.contains(arch))
            throw new LortException("architecture " + (arch.isEmpty() ? type : arch) + " (model_type '" + type
                    + "') is not supported by the inference engine (supported: " + String.join(", ", SUPPORTED)
                    + "); compression still works on it");
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu") && !act.equals("swish"))
            throw new LortException(arch + " with hidden_act '" + act + "' is not supported (the engine runs SwiGLU, silu)");

        int hidden = required(c, "hidden_size");
        int heads = required(c, "num_attention_heads");
        int kvHeads = c.path("num_key_value_heads").isNumber() ? c.get("num_key_value_heads").asInt() : heads;
        int headDim = c.path("head_dim").isNumber() ? c.get("head_dim").asInt() : hidden / heads;
        if (heads % kvHeads != 0) throw new LortException("config.json: num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);

        int window = 0;
        JsonNode sw = c.path("sliding_window");
        boolean slidingOn = type.equals("mistral") || c.path("use_sliding_window").asBoolean(false);
        if (sw.isNumber() && slidingOn) {
            if (!type.equals("mistral")) throw new LortException(arch + " with use_sliding_window true is not supported yet");
            window = sw.asInt();
        }

        Set<Integer> eos = new TreeSet<>();
        addIds(eos, c.path("eos_token_id"));
        if (g != null) addIds(eos, g.path("eos_token_id"));
        int bos = c.path("bos_token_id").asInt(-1);
        if (g != null && g.path("bos_token_id").isNumber()) bos = g.get("bos_token_id").asInt();

        return new ModelConfig(arch, type, hidden, required(c, "intermediate_size"), required(c, "num_hidden_layers"),
                heads, kvHeads, headDim, required(c, "vocab_size"), c.path("max_position_embeddings").asInt(2048),
                (float) c.path("rms_norm_eps").asDouble(1e-6), rope(c, arch), window, bos, Set.copyOf(eos));
    }

    /** transformers 5 keeps everything in rope_parameters; transformers 4 splits rope_theta and rope_scaling. */
    private static Rope rope(JsonNode c, String arch) {
        JsonNode p = c.path("rope_parameters");
        JsonNode scaling = p.isObject() ? p : c.path("rope_scaling");
        double theta = p.path("rope_theta").isNumber() ? p.get("rope_theta").asDouble() : c.path("rope_theta").asDouble(10000.0);
        if (!scaling.isObject()) return Rope.plain(theta);
        String type = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        return switch (type) {
            case "default" -> Rope.plain(theta);
            case "linear" -> new Rope("linear", theta, scaling.path("factor").asDouble(1.0), 0, 0, 0);
            case "llama3" -> new Rope("llama3", theta, scaling.path("factor").asDouble(),
                    scaling.path("low_freq_factor").asDouble(), scaling.path("high_freq_factor").asDouble(),
                    scaling.path("original_max_position_embeddings").asInt());
            default -> throw new LortException(arch + " uses rope type '" + type + "', which the engine does not support (default, linear, llama3)");
        };
    }

    private static void addIds(Set<Integer> out, JsonNode n) {
        if (n.isNumber()) out.add(n.asInt());
        else if (n.isArray()) n.forEach(e -> { if (e.isNumber()) out.add(e.asInt()); });
    }

    private static int required(JsonNode c, String key) {
        if (!c.path(key).isNumber()) throw new LortException("config.json has no '" + key + "'; is it a causal language model's config?");
        return c.get(key).asInt();
    }

    private static JsonNode json(byte[] bytes, String what) {
        try {
            JsonNode n = new ObjectMapper().readTree(bytes);
            if (n == null || !n.isObject()) throw new LortException(what + " is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new LortException(what + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }
}
