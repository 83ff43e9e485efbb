package ai.lort.compress;

import ai.lort.LortException;
import ai.lort.format.LortWriter;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.ModelConfig;
import ai.lort.model.ModelShapes;
import ai.lort.weights.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@link Compressor#run} checks before any work, so that a mistake costs no calibration run. */
final class Preflight {
    private Preflight() {}

    /**
     * Before any work: the output must be writable where {@link LortWriter#target} says, and must
     * not be (after symbolic links) any file this run reads, which renaming the finished file over
     * it would destroy.
     */
    static void checkOutput(SourceModel model, Path output, CompressOptions options) {
        Path target = LortWriter.target(output);
        if (!Files.exists(target)) return;
        List<Path> inputs = new ArrayList<>(model.location().weightFiles());
        inputs.addAll(model.metadataFiles().values());
        if (model.location().metadataDir() != null) inputs.add(model.location().metadataDir().resolve(LocalModel.INDEX));
        if (options.calibration() != null && !options.calibration().self()) inputs.add(options.calibration().file());
        if (options.eval() != null) inputs.add(options.eval());
        for (Path in : inputs) {
            try {
                if (Files.exists(in) && Files.isSameFile(target, in))
                    throw new LortException("--output " + output + " is " + in + ", which this run reads; writing there would destroy it, so give another --output");
            } catch (IOException e) {
                throw new LortException("cannot compare --output " + output + " with " + in + ": " + e.getMessage());
            }
        }
    }

    /**
     * Stage 0, before any work: a config.json that is not valid JSON, or whose fields are out of
     * range or do not fit the weights' shapes, is refused. A model the engine does not run (or
     * without config.json) is compressed as it is by the weight-only method.
     */
    static void checkConfig(SourceModel model) {
        SafetensorsWeights weights = new SafetensorsWeights(model); // not closed: the caller owns the model
        if (weights.file("config.json").isEmpty()) return;
        ModelConfig config;
        try {
            config = ModelConfig.load(weights);
        } catch (ModelConfig.Unsupported e) {
            return;
        }
        ModelShapes.check(config, weights);
    }
}
