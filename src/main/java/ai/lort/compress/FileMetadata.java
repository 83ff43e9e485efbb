package ai.lort.compress;

import ai.lort.Version;
import ai.lort.calibrate.CalibratedPass;
import ai.lort.calibrate.Calibration;
import ai.lort.decompose.LayerFit;
import ai.lort.decompose.LayerEncoding;
import ai.lort.heal.HealOptions;
import ai.lort.heal.Healer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON a compression writes into the file's index (docs/FORMAT.md, "metadata" and each
 * layer's "info"): provenance, the options, the summary and what healing did. Nothing in it
 * depends on time except {@code created}, so the same seed gives the same bytes elsewhere.
 */
final class FileMetadata {
    private FileMetadata() {}

    /** The index's metadata: provenance, options and the summary (docs/FORMAT.md). */
    static ObjectNode metadata(CompressOptions options, String method, ObjectNode source, CalibratedPass.Outcome calibrated,
                               Healer.Result healed, List<LayerFit> layers, long compressedParams, long keptParams, long compressedBits) {
        ObjectNode meta = JsonNodeFactory.instance.objectNode();
        meta.put("created_by", "LoRT " + Version.current());
        meta.put("created", Instant.now().toString());
        meta.put("method", method);
        meta.set("source", source);
        meta.set("options", options(options));
        Compressor.Summary partial = new Compressor.Summary(layers, compressedParams, keptParams, compressedBits, 0, 0, 0, 0, method, calibrated, healed, null, Map.of());
        ObjectNode sum = meta.putObject("summary");
        sum.put("compressed_layers", layers.size());
        sum.put("compressed_params", compressedParams);
        sum.put("kept_params", keptParams);
        sum.put("bits_per_weight", partial.bitsPerWeight());
        sum.put("mean_error", partial.meanError());
        sum.put("max_error", partial.maxError());
        if (calibrated != null) sum.put("mean_output_error", partial.meanOutputError());
        if (healed != null) meta.set("healing", healing(healed));
        return meta;
    }

    /**
     * What healing did, for the file's metadata: the fields of compress --json's {@code healing}
     * but its time (the file holds no timings, so that the same seed gives the same bytes).
     */
    static ObjectNode healing(Healer.Result r) {
        ObjectNode h = JsonNodeFactory.instance.objectNode();
        h.put("loss_before", r.before());
        h.put("loss_after", r.after());
        h.put("steps", r.steps());
        h.put("kept", r.kept());
        h.put("tokens", r.tokens());
        if (r.codesMoved() > 0) h.put("codes_moved", r.codesMoved());
        return h;
    }

    static ObjectNode options(CompressOptions options) {
        LayerEncoding e = options.encoding();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("min_dim", options.minDim());
        if (e.rank() != null) o.put("rank", e.rank()); else o.put("bpw", e.bpw());
        if (e.plan() != null) o.put("plan", "model");
        o.put("iters", options.iterations());
        o.put("seed", e.seed());
        o.put("include_lm_head", options.includeLmHead());
        // Absent means the source's bytes, as every file before format 1.2.
        if (options.embeddings() != EmbeddingFormat.SOURCE) o.put("embeddings", options.embeddings().id());
        o.put("packing", e.packing().id());
        o.put("scales", e.scales().id());
        o.put("rotation", e.rotation().id());
        Calibration c = options.calibration();
        if (c != null) {
            ObjectNode k = o.putObject("calibration");
            k.put("source", c.self() ? "self" : c.file().getFileName().toString());
            k.put("samples", c.samples());
            k.put("length", c.length());
            k.put("beta", c.beta());
            k.put("sweeps", c.sweeps());
            k.put("alternations", c.alternations());
        }
        if (options.healing()) o.set("heal", healOptions(options.heal(), e.seed()));
        return o;
    }

    /** The healing options, for the file's metadata ({@code steps} −1: the default for the model's size). */
    static ObjectNode healOptions(HealOptions h, long seed) {
        ObjectNode k = JsonNodeFactory.instance.objectNode();
        k.put("steps", h.steps());
        k.put("batch", h.batch());
        k.put("length", h.length());
        k.put("rate", h.rate());
        k.put("top_k", h.topK());
        if (h.codeBudget() > 0) k.put("code_budget", h.codeBudget());
        if (h.trains() != HealOptions.Trains.ALL) k.put("trains", h.trains().id());
        k.put("data", h.data() == null ? "self" : h.data().getFileName().toString());
        k.put("seed", seed);
        return k;
    }

    static ObjectNode layerInfo(LayerFit fit) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("relative_error", fit.weightError());
        if (!Double.isNaN(fit.ternaryOnlyError())) o.put("ternary_only_error", fit.ternaryOnlyError());
        o.put("bits_per_weight", fit.bitsPerWeight());
        o.put("iterations", fit.iterations());
        if (!Double.isNaN(fit.outputError())) o.put("output_error", fit.outputError());
        return o;
    }
}
