package ai.lort.report;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.load.Tensor;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a report shows, read from a {@code .lort} file (its index, config and codes), plus
 * what only the compression run knew ({@link RunRecord}; empty for a file on its own).
 *
 * @param healing the healing stage's losses: the run's, else a {@code healing} object in the file's metadata, else null
 */
public record ReportData(FileInfo file, ModelInfo model, Totals totals, List<LayerRow> layers, RunRecord run,
                         RunRecord.Healing healing) {
    /** The file and how it was made (its metadata). */
    public record FileInfo(String path, long bytes, String version, String created, String createdBy, String method,
                           String source, JsonNode options) {}

    /** The architecture, from the embedded config.json (fields absent there are empty or 0). */
    public record ModelInfo(String architecture, String modelType, int blocks, int hidden, int intermediate, int heads,
                            int kvHeads, int vocab, String torchDtype, boolean tiedEmbeddings, boolean tokenizer) {}

    /**
     * Sizes and bits.
     *
     * @param compressedBytes the stored sections of the compressed layers (codes, scales, factors)
     * @param sourceParams    the weights of the source model: those held, less a compressed copy of a tied head
     * @param sourceBytes     the source's weights in their dtypes: the run's count, else estimated from
     *                        config.json's torch_dtype, else -1
     */
    public record Totals(int compressedLayers, long compressedParams, long compressedBytes, int keptTensors, long keptParams,
                         long keptBytes, long fileBytes, long sourceParams, long sourceBytes, boolean sourceBytesEstimated) {
        public double bitsPerWeightCompressed() { return compressedParams == 0 ? 0 : 8.0 * compressedBytes / compressedParams; }

        public double bitsPerWeightFile() { return compressedParams + keptParams == 0 ? 0 : 8.0 * fileBytes / (compressedParams + keptParams); }

        public long fp16Bytes() { return 2 * sourceParams; }

        public double ratioFp16() { return fileBytes == 0 ? 0 : (double) fp16Bytes() / fileBytes; }

        public double ratioSource() { return sourceBytes < 0 || fileBytes == 0 ? Double.NaN : (double) sourceBytes / fileBytes; }
    }

    /** Reads the report's data from {@code f}; counting the codes runs on {@code threads}, with a progress bar unless {@code quiet}. */
    public static ReportData read(LortFile f, RunRecord run, int threads, boolean quiet) {
        JsonNode meta = f.metadata();
        JsonNode config = json(f.file("config.json").orElse(null));
        ModelInfo model = new ModelInfo(config.path("architectures").path(0).asText(""), config.path("model_type").asText(""),
                config.path("num_hidden_layers").asInt(), config.path("hidden_size").asInt(), config.path("intermediate_size").asInt(),
                config.path("num_attention_heads").asInt(), config.path("num_key_value_heads").asInt(config.path("num_attention_heads").asInt()),
                config.path("vocab_size").asInt(), config.path("torch_dtype").asText(config.path("dtype").asText("")),
                config.path("tie_word_embeddings").asBoolean(false), f.fileNames().contains("tokenizer.json"));
        FileInfo info = new FileInfo(f.path().toString(), f.fileSize(), f.version(), meta.path("created").asText(""),
                meta.path("created_by").asText(""), meta.path("method").asText(""), source(meta.path("source")), meta.path("options"));

        long weights = f.layers().values().stream().mapToLong(l -> (long) l.rows() * l.cols()).sum();
        ProgressBar bar = new ProgressBar("report", weights, false, quiet);
        List<LayerRow> layers = new ArrayList<>();
        long compressedParams = 0, compressedBytes = 0, done = 0;
        for (CompressedLayer l : f.layers().values()) {
            bar.suffix(l.name());
            layers.add(LayerRow.of(l, f.layerInfo(l.name()), threads));
            compressedParams += (long) l.rows() * l.cols();
            compressedBytes += l.scales().byteSize() + l.a().byteSize() + l.b().byteSize() + l.codes().byteSize();
            bar.update(done += (long) l.rows() * l.cols());
        }
        bar.finish(done);
        long keptParams = 0, keptBytes = 0;
        for (Tensor t : f.tensors().values()) {
            keptParams += t.elementCount();
            keptBytes += t.byteSize();
        }
        for (var q : f.quantized().values()) {
            keptParams += q.elementCount();
            keptBytes += q.byteSize();
        }
        long sourceParams = compressedParams + keptParams;
        CompressedLayer head = f.layers().get("lm_head.weight");
        if (head != null && model.tiedEmbeddings()
                && (f.tensors().containsKey("model.embed_tokens.weight") || f.quantized().containsKey("model.embed_tokens.weight")))
            sourceParams -= (long) head.rows() * head.cols(); // a compressed copy of the tied embedding
        long sourceBytes = run.sourceBytes();
        boolean estimated = false;
        if (sourceBytes < 0 && dtypeBytes(model.torchDtype()) > 0) {
            sourceBytes = sourceParams * dtypeBytes(model.torchDtype());
            estimated = true;
        }
        Totals totals = new Totals(layers.size(), compressedParams, compressedBytes, f.tensors().size() + f.quantized().size(), keptParams, keptBytes,
                f.fileSize(), sourceParams, sourceBytes, estimated);
        RunRecord.Healing healing = run.healing() != null ? run.healing() : RunRecord.healing(meta.path("healing"));
        return new ReportData(info, model, totals, List.copyOf(layers), run, healing);
    }

    private static int dtypeBytes(String torchDtype) {
        return switch (torchDtype) {
            case "float32" -> 4;
            case "float16", "bfloat16" -> 2;
            default -> 0;
        };
    }

    /** A hub model as "id @ commit", a local one as its path. */
    static String source(JsonNode src) {
        if (src.has("id")) {
            String rev = src.path("commit").asText(src.path("revision").asText(""));
            return src.path("id").asText() + (rev.isEmpty() ? "" : " @ " + rev);
        }
        return src.path("path").asText(src.isMissingNode() ? "" : src.toString());
    }

    private static JsonNode json(byte[] bytes) {
        if (bytes == null) return MissingNode.getInstance();
        try {
            JsonNode n = new ObjectMapper().readTree(bytes);
            return n == null ? MissingNode.getInstance() : n;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    /** The data as one JSON object ({@code lort report --json}; docs/JSON.md). */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ObjectNode fi = o.putObject("file");
        fi.put("path", file.path());
        fi.put("bytes", file.bytes());
        fi.put("format_version", file.version());
        fi.put("created", file.created());
        fi.put("created_by", file.createdBy());
        fi.put("method", file.method());
        fi.put("source", file.source());
        fi.set("options", file.options().isMissingNode() ? JsonNodeFactory.instance.objectNode() : file.options().deepCopy());
        ObjectNode m = o.putObject("model");
        m.put("architecture", model.architecture());
        m.put("model_type", model.modelType());
        m.put("blocks", model.blocks());
        m.put("hidden_size", model.hidden());
        m.put("vocab_size", model.vocab());
        m.put("tokenizer", model.tokenizer());
        ObjectNode t = o.putObject("totals");
        t.put("compressed_layers", totals.compressedLayers());
        t.put("compressed_params", totals.compressedParams());
        t.put("compressed_bytes", totals.compressedBytes());
        t.put("kept_tensors", totals.keptTensors());
        t.put("kept_params", totals.keptParams());
        t.put("kept_bytes", totals.keptBytes());
        t.put("file_bytes", totals.fileBytes());
        t.put("bits_per_weight_compressed", totals.bitsPerWeightCompressed());
        t.put("bits_per_weight_file", totals.bitsPerWeightFile());
        t.put("source_fp16_bytes", totals.fp16Bytes());
        t.put("ratio_vs_fp16", totals.ratioFp16());
        if (totals.sourceBytes() >= 0) {
            t.put("source_bytes", totals.sourceBytes());
            t.put("source_bytes_estimated", totals.sourceBytesEstimated());
            t.put("ratio_vs_source", totals.ratioSource());
        }
        var arr = o.putArray("layers");
        for (LayerRow l : layers) {
            ObjectNode n = arr.addObject();
            n.put("name", l.name());
            n.put("block", l.block());
            n.put("kind", l.kind());
            n.putArray("shape").add(l.rows()).add(l.cols());
            n.put("rank", l.rank());
            n.put("bits_per_weight", l.bitsPerWeight());
            if (!Double.isNaN(l.weightError())) n.put("relative_error", l.weightError());
            if (!Double.isNaN(l.outputError())) n.put("output_error", l.outputError());
            var codes = n.putObject("codes");
            codes.put("minus", l.codes()[0]);
            codes.put("zero", l.codes()[1]);
            codes.put("plus", l.codes()[2]);
            n.put("zero_share", l.zeroShare());
        }
        ObjectNode r = o.putObject("run");
        run.writeJson(r);
        if (healing != null) RunRecord.putHealing(r, healing);
        return o;
    }
}
