package ai.lort.fuzz;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortWriter;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.load.LocalModel;
import ai.lort.load.SafetensorsWriter;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes the seed corpora of the fuzz targets (src/test/resources/fuzz/TARGET/seed-*) from the
 * real files in ../shared: small enough to mutate quickly, but with the real files' structure
 * (tensor names and dtypes, configs, tokenizers, chat templates). Run once; the output is committed.
 */
public final class SeedCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz");
        Path shared = SharedData.root();
        List<String> models = List.of("stories260K", "tiny-llama3", "tiny-mistral", "tiny-qwen2", "tiny-qwen3");
        for (String m : models) {
            Path dir = shared.resolve("models/" + m);
            try (SourceModel src = SourceModel.open(LocalModel.resolve(dir))) {
                shrunkSafetensors(src, out.resolve("SafetensorsFuzzer/seed-" + m + ".safetensors"));
                write(out.resolve("ConfigFuzzer/seed-" + m + ".json"), Files.readAllBytes(dir.resolve("config.json")));
            }
        }
        write(out.resolve("ShardIndexFuzzer/seed-tiny-qwen2.json"), Files.readAllBytes(shared.resolve("models/tiny-qwen2/" + LocalModel.INDEX)));
        write(out.resolve("ConfigFuzzer/seed-synthetic.json"), ai.lort.tools.SyntheticModel.TINY.configJson().getBytes(StandardCharsets.UTF_8));
        lortFiles(shared.resolve("models/stories260K"), out.resolve("LortFileFuzzer"));
        write(out.resolve("TokenizerLoadFuzzer/seed-stories260K.json"), Files.readAllBytes(shared.resolve("models/stories260K/tokenizer.json")));
        for (String t : List.of("llama3", "mistral", "qwen3")) {
            write(out.resolve("TokenizerLoadFuzzer/seed-" + t + "-trimmed.json"), trimmedTokenizer(shared.resolve("tokenizers/" + t + "/tokenizer.json")));
            JsonNode config = JSON.readTree(shared.resolve("tokenizers/" + t + "/tokenizer_config.json").toFile());
            String template = config.path("chat_template").isTextual() ? config.path("chat_template").asText() : config.path("chat_template").path(0).path("template").asText();
            write(out.resolve("ChatTemplateFuzzer/seed-" + t + ".txt"), (template + "\u0000You are kind.\u0000Hello!\u0000Hi there.").getBytes(StandardCharsets.UTF_8));
        }
        JsonNode texts = JSON.readTree(shared.resolve("tokenizers/cases.json").toFile()).path("texts");
        for (int i = 0; i < texts.size(); i++) {
            byte[] text = texts.get(i).asText().getBytes(StandardCharsets.UTF_8);
            byte[] seed = new byte[text.length + 1];
            seed[0] = (byte) (i % 4 | (i % 2) << 7);
            System.arraycopy(text, 0, seed, 1, text.length);
            write(out.resolve(String.format("TokenizerEncodeFuzzer/seed-%02d.txt", i)), seed);
        }
    }

    /** The model's tensors, each cut to its first two entries per dimension (values from the real data). */
    private static void shrunkSafetensors(SourceModel src, Path file) throws IOException {
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        int count = 0;
        for (Tensor t : src.tensors().values()) {
            if (count++ >= 12) break;
            long[] shape = t.shape().clone();
            long n = 1;
            for (int i = 0; i < shape.length; i++) { shape[i] = Math.min(shape[i], 2); n *= shape[i]; }
            specs.add(new SafetensorsWriter.Spec(t.name(), t.dtype(), shape));
            data.add(t.data().asSlice(0, n * t.dtype().size()).toArray(ValueLayout.JAVA_BYTE));
        }
        Files.createDirectories(file.getParent());
        try (SafetensorsWriter w = new SafetensorsWriter(file, specs, Map.of("format", "pt"))) {
            for (byte[] d : data) w.write(d);
        }
    }

    /** One small .lort file per encoding, from a real layer of stories260K (6 rows of a 64 × 172 down_proj). */
    private static void lortFiles(Path model, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (SourceModel src = SourceModel.open(LocalModel.resolve(model))) {
            Tensor down = src.tensor("model.layers.0.mlp.down_proj.weight");
            int rows = 6, cols = 172, rank = 1;
            float[] w = new float[rows * cols];
            down.readFloats(0, w);
            byte[] t = new byte[w.length];
            float[] s = new float[rows];
            for (int i = 0; i < rows; i++) {
                float sum = 0;
                for (int j = 0; j < cols; j++) sum += Math.abs(w[i * cols + j]);
                s[i] = Float.float16ToFloat(Float.floatToFloat16(sum / cols));
                for (int j = 0; j < cols; j++) t[i * cols + j] = (byte) (Math.abs(w[i * cols + j]) < s[i] / 2 ? 0 : Math.signum(w[i * cols + j]));
            }
            float[] a = new float[rank * cols], b = new float[rows * rank];
            for (int j = 0; j < cols; j++) a[j] = w[j] / 4;
            for (int i = 0; i < rows; i++) b[i] = 0.5f;
            int k = 0;
            for (Packing p : Packing.values())
                for (ScaleEncoding sc : ScaleEncoding.values())
                    for (boolean rotate : new boolean[] {false, true}) {
                        Path f = dir.resolve("seed-" + (k++) + "-" + p.id() + "-" + sc.id() + (rotate ? "-hadamard" : "") + ".lort");
                        Hadamard rot = rotate ? Hadamard.of(cols, 42) : null;
                        try (LortWriter lw = LortWriter.create(f)) {
                            lw.addFile("config.json", Files.readAllBytes(model.resolve("config.json")));
                            lw.addLayer(CompressedLayer.encode("model.layers.0.mlp.down_proj.weight", rows, cols, rotate ? 0 : rank, p, sc, s, t, rotate ? new float[0] : a, rotate ? new float[0] : b, rot), null);
                            lw.addTensor(src.tensor("model.layers.0.input_layernorm.weight"));
                            ObjectNode meta = JsonNodeFactory.instance.objectNode();
                            meta.put("created_by", "seed");
                            lw.finish(meta);
                        }
                    }
        }
    }

    /** The tokenizer with its first 300 vocabulary entries and merges: the real structure, small. */
    private static byte[] trimmedTokenizer(Path file) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = JsonNodeFactory.instance.objectNode();
        Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields();
        for (int i = 0; i < 300 && it.hasNext(); i++) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.set(e.getKey(), e.getValue());
        }
        model.set("vocab", vocab);
        var merges = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < Math.min(300, model.get("merges").size()); i++) merges.add(model.get("merges").get(i));
        model.set("merges", merges);
        var added = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < Math.min(8, root.path("added_tokens").size()); i++) added.add(root.get("added_tokens").get(i));
        root.set("added_tokens", added);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JSON.writeValue(bytes, root);
        return bytes.toByteArray();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
