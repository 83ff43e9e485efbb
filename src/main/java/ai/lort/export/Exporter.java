package ai.lort.export;

import ai.lort.LortException;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code lort export}: a {@code .lort} file as files other tools load.
 *
 * <ul>
 *   <li>{@link Format#SAFETENSORS}: a Hugging Face model folder whose weights are the dequantized
 *       model, every compressed layer {@code W = diag(s)·T·R + B·A·R} (rotation undone), in BF16,
 *       F16 or F32, beside the file's config, generation config and tokenizer files.
 *   <li>{@link Format#PEFT}: {@code base/}, the same folder with only the ternary part
 *       {@code diag(s)·T·R} of each compressed layer, and {@code adapter/}, the low-rank part as a
 *       LoRA adapter in PEFT's layout ({@link PeftAdapter}).
 * </ul>
 * Tensors are streamed one at a time (a compressed layer a block of rows at a time), and the
 * folder appears under its name only when complete ({@link ExportFolder}).
 */
public final class Exporter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Exporter() {}

    /** What to write. */
    public enum Format {
        SAFETENSORS("safetensors"), PEFT("peft");

        private final String id;

        Format(String id) { this.id = id; }

        public String id() { return id; }

        public static Format byId(String id) {
            for (Format f : values()) if (f.id.equals(id)) return f;
            throw new LortException("--to " + id + " is not known; use safetensors or peft");
        }
    }

    /** @param dtype the floating type of the exported weights (BF16, F16 or F32) */
    public record Options(Format format, DType dtype, int threads, boolean quiet) {
        public Options {
            if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
                throw new LortException("--dtype " + dtype + " cannot be exported; use bf16, f16 or f32");
        }
    }

    /**
     * What was written.
     *
     * @param files         the written files, relative to {@code output}
     * @param tensors       tensors in the model's safetensors file
     * @param parameters    their elements
     * @param bytes         bytes of every written file
     * @param adapterLayers layers in the LoRA adapter (PEFT), 0 otherwise
     */
    public record Result(Path output, Format format, DType dtype, List<String> files, int tensors, long parameters,
                         long bytes, int adapterLayers, double seconds) {}

    public static Result export(LortFile file, Path output, Options options) {
        long start = System.nanoTime();
        byte[] config = file.file("config.json").orElseThrow(() -> new LortException(file.path()
                + " holds no config.json (its source model had none); export needs it to make a model folder"));
        boolean peft = options.format() == Format.PEFT;
        List<TensorEntry> model = modelEntries(file, options.dtype(), !peft, options.threads());
        PeftAdapter adapter = peft ? PeftAdapter.of(file) : null;
        long total = model.stream().mapToLong(TensorEntry::bytes).sum() + (adapter == null ? 0 : adapter.bytes());
        ProgressBar bar = new ProgressBar("export", total, true, options.quiet());
        long[] done = {0};
        List<String> files = new ArrayList<>();
        try (ExportFolder folder = ExportFolder.create(output)) {
            Path modelDir = peft ? Files.createDirectory(folder.dir().resolve("base")) : folder.dir();
            String prefix = peft ? "base/" : "";
            TensorEntry.writeFile(modelDir.resolve("model.safetensors"), model, bar, done);
            files.add(prefix + "model.safetensors");
            for (Map.Entry<String, byte[]> f : metadataFiles(file, config, options.dtype(), model).entrySet()) {
                Files.write(modelDir.resolve(f.getKey()), f.getValue());
                files.add(prefix + f.getKey());
            }
            if (adapter != null) {
                Path dir = Files.createDirectory(folder.dir().resolve("adapter"));
                TensorEntry.writeFile(dir.resolve("adapter_model.safetensors"), adapter.entries(), bar, done);
                Files.write(dir.resolve("adapter_config.json"), JSON.writeValueAsBytes(adapter.config(folder.target().resolve("base"))));
                files.add("adapter/adapter_model.safetensors");
                files.add("adapter/adapter_config.json");
            }
            bar.finish(done[0]);
            long bytes = 0;
            for (String f : files) bytes += Files.size(folder.dir().resolve(f));
            folder.finish();
            long params = model.stream().mapToLong(e -> e.bytes() / e.dtype().size()).sum();
            return new Result(folder.target(), options.format(), options.dtype(), files, model.size(), params, bytes,
                    adapter == null ? 0 : adapter.layers(), (System.nanoTime() - start) / 1e9);
        } catch (IOException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("No space left")) throw new LortException("disk full while exporting to " + output + "; free space or choose another -o (nothing was left behind)");
            throw new LortException("cannot write the export to " + output + ": " + msg);
        }
    }

    /** Every tensor of the model, compressed layers reconstructed ({@code lowRank}: with B·A), in the natural order of their names. */
    static List<TensorEntry> modelEntries(LortFile file, DType dtype, boolean lowRank, int threads) {
        TreeMap<String, TensorEntry> byName = new TreeMap<>(NATURAL);
        for (Tensor t : file.tensors().values()) byName.put(t.name(), TensorEntry.kept(t, dtype));
        for (var q : file.quantized().values()) byName.put(q.name(), TensorEntry.quantized(q, dtype));
        for (CompressedLayer l : file.layers().values()) byName.put(l.name(), TensorEntry.layer(l.name(), l, dtype, true, lowRank, threads));
        return List.copyOf(byName.values());
    }

    /**
     * config.json with the exported dtype (and, when the file holds a compressed copy of a tied
     * head, untied: the head is its own tensor now), generation_config.json (made from config.json's
     * token ids when the source had none), and every other embedded file as it is.
     */
    private static Map<String, byte[]> metadataFiles(LortFile file, byte[] config, DType dtype, List<TensorEntry> model) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        JsonNode parsed = new ObjectMapper().readTree(config);
        if (!(parsed instanceof ObjectNode c)) throw new LortException(file.path() + ": its config.json is not a JSON object");
        String torch = switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        c.put("torch_dtype", torch);
        if (c.has("dtype")) c.put("dtype", torch); // transformers 5's name for it
        boolean head = model.stream().anyMatch(e -> e.name().equals("lm_head.weight"));
        if (head && c.path("tie_word_embeddings").asBoolean(false)) c.put("tie_word_embeddings", false);
        out.put("config.json", JSON.writeValueAsBytes(c));
        for (String name : file.fileNames())
            if (!name.equals("config.json")) out.put(name, file.file(name).orElseThrow());
        if (!out.containsKey("generation_config.json")) {
            ObjectNode g = JSON.createObjectNode();
            for (String k : List.of("bos_token_id", "eos_token_id", "pad_token_id")) if (c.has(k)) g.set(k, c.get(k));
            g.put("_from_model_config", true);
            out.put("generation_config.json", JSON.writeValueAsBytes(g));
        }
        return out;
    }

    /** Names compared part by part, numbers as numbers: layers.2 before layers.10. */
    static final Comparator<String> NATURAL = (a, b) -> {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            boolean nx = x[i].matches("\\d{1,9}"), ny = y[i].matches("\\d{1,9}");
            int c = nx && ny ? Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    };

    /** {@code --dtype} to a DType. */
    public static DType dtype(String id) {
        return switch (id.toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "fp16", "float16" -> DType.F16;
            case "f32", "fp32", "float32" -> DType.F32;
            default -> throw new LortException("--dtype " + id + " is not known; use bf16, f16 or f32");
        };
    }
}
