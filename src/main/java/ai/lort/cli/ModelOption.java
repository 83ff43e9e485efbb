package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.format.LortFile;
import ai.lort.hub.HubEnvironment;
import ai.lort.load.SourceModel;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --revision} of the commands that run a model (infer, eval): a .lort
 * file, or anything compress reads (folder, file, shards, hub id), so the original and the
 * compressed model go through the same engine.
 */
final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "<MODEL>",
            description = "A .lort file, a safetensors model folder or file, or a Hugging Face id (org/name)")
    String model;

    @Mixin RevisionOption revision;

    /** Opens --model for the engine (downloading a hub model first, with progress on stderr). */
    WeightSource open() {
        Path lort = lortFile(model);
        if (lort != null) {
            if (revision.revision != null) throw new LortException("--revision applies to hub models, but " + model + " is a .lort file");
            return new LortWeights(LortFile.open(lort));
        }
        return new SafetensorsWeights(SourceModel.open(revision.locate(model, false).local()));
    }

    private static Path lortFile(String spec) {
        try {
            Path p = HubEnvironment.fromSystem().expandHome(spec);
            return Files.isRegularFile(p) && LortFile.looksLikeLort(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
