package ai.lort.compress;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.format.LortWriter;
import ai.lort.format.QuantizedTensor;
import ai.lort.heal.HealOptions;
import ai.lort.heal.Healer;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.ModelConfig;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code lort heal}: an existing {@code .lort} file healed further toward its original model and
 * written as a new file. The compressed layers, the kept tensors and the embedded files are read
 * from the file; the original (the teacher, and the student's embedding and head) from the
 * source model, whose architecture must be the file's.
 */
public final class HealFile {
    private HealFile() {}

    public static Healer.Result run(Path input, SourceModel source, Path output, HealOptions options, long seed, int threads,
                                    Healer.Progress progress) {
        try (LortFile file = LortFile.openVerified(input)) {
            SafetensorsWeights original = new SafetensorsWeights(source); // not closed: the caller owns the source
            requireSameArchitecture(input, ModelConfig.load(new LortWeights(file)), ModelConfig.load(original));
            for (String name : file.layers().keySet())
                if (!original.has(name)) throw new LortException(input + " holds layer '" + name + "', which the source model does not have; give the model it was compressed from");
            String shortfall = Healer.heapShortfall(ModelConfig.load(original), original.has("lm_head.weight"), file.layers(), options);
            if (shortfall != null) throw new LortException(shortfall.replace(" (or --heal-steps 0)", ""));
            Healer.Result r = Healer.run(original, file.layers(), stored(file, original), options, seed, threads, progress);
            write(file, r, output, options, seed);
            return r;
        }
    }

    /** The kept matrices the file stores otherwise than the source (group-quantized, narrowed), as the student runs them. */
    private static Map<String, float[]> stored(LortFile file, SafetensorsWeights original) {
        Map<String, float[]> stored = new LinkedHashMap<>();
        for (QuantizedTensor q : file.quantized().values()) stored.put(q.name(), q.dequantize());
        for (Tensor t : file.tensors().values())
            if (original.has(t.name()) && original.tensor(t.name()).dtype() != t.dtype()) stored.put(t.name(), t.toFloats());
        return stored;
    }

    private static void requireSameArchitecture(Path input, ModelConfig a, ModelConfig b) {
        if (a.hiddenSize() != b.hiddenSize() || a.layers() != b.layers() || a.intermediateSize() != b.intermediateSize()
                || a.heads() != b.heads() || a.kvHeads() != b.kvHeads() || a.vocabSize() != b.vocabSize())
            throw new LortException(input + " was not compressed from this model (its config.json differs in shape); give the model it was compressed from");
    }

    /** The file again, with the healed layers and vectors, and what healing did in its metadata. */
    private static void write(LortFile file, Healer.Result r, Path output, HealOptions options, long seed) {
        try (LortWriter w = LortWriter.create(output)) {
            for (String name : file.fileNames()) w.addFile(name, file.file(name).orElseThrow());
            for (Map.Entry<String, CompressedLayer> e : file.layers().entrySet())
                w.addLayer(r.layers().getOrDefault(e.getKey(), e.getValue()), file.layerInfo(e.getKey()) instanceof ObjectNode info ? info : null);
            for (Tensor t : file.tensors().values()) {
                float[] trained = r.vectors().get(t.name());
                w.addTensor(trained == null ? t : Tensor.of(t.name(), t.dtype(), t.shape(), trained));
            }
            for (QuantizedTensor q : file.quantized().values()) w.addQuantized(q);
            ObjectNode meta = file.metadata().isObject() ? ((ObjectNode) file.metadata()).deepCopy() : JsonNodeFactory.instance.objectNode();
            meta.put("created_by", "LoRT " + Version.current());
            meta.put("created", Instant.now().toString());
            ObjectNode opts = meta.with("options");
            opts.set("heal", FileMetadata.healOptions(options, seed));
            meta.set("healing", FileMetadata.healing(r));
            w.finish(meta);
        }
    }
}
