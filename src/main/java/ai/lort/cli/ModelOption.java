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

    /**
     * Opens --model for the engine (downloading a hub model first, with progress on stderr). An
     * existing file is a .lort file when it is named so or starts with the LORT magic bytes
     * (then the reader's refusal says what is wrong with it), a safetensors file when named so;
     * anything else is refused saying what it was taken for.
     */
    WeightSource open() {
        Path local = existing(model);
        if (local != null && !Files.isDirectory(local)) {
            if (!Files.isRegularFile(local)) throw new LortException(model + ": not a regular file (a device, pipe or socket); give a .lort file, a model folder or a .safetensors file");
            String name = local.getFileName().toString();
            if (name.endsWith(".lort") || LortFile.looksLikeLort(local)) {
                if (revision.revision != null) throw new LortException("--revision applies to hub models, but " + model + " is a .lort file");
                return new LortWeights(LortFile.openVerified(local));
            }
            if (!name.endsWith(".safetensors"))
                throw new LortException(model + ": taken for a model file because it exists, but it is neither a .lort file (no LORT magic bytes at its start) nor named *.safetensors");
        }
        return new SafetensorsWeights(SourceModel.open(revision.locate(model, false).local()));
    }

    private static Path existing(String spec) {
        try {
            Path p = HubEnvironment.fromSystem().expandHome(spec);
            return Files.exists(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
