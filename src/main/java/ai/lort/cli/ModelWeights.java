package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.format.LortFile;
import ai.lort.hub.HubEnvironment;
import ai.lort.load.SourceModel;
import ai.lort.locate.ModelLocator;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Opens what {@code --model} names for the engine: a .lort file, or anything lort compress accepts (folder, file, shards, hub id). */
final class ModelWeights {
    private ModelWeights() {}

    static WeightSource open(String spec, String revision, boolean quiet) {
        Path lort = lortFile(spec);
        if (lort != null) {
            if (revision != null) throw new LortException("--revision applies to hub models, but " + spec + " is a .lort file");
            return new LortWeights(LortFile.open(lort));
        }
        return new SafetensorsWeights(SourceModel.open(ModelLocator.locate(spec, revision, quiet).local()));
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
