package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.format.LortFile;
import ai.lort.load.ModelLocator;
import ai.lort.load.SourceModel;
import ai.lort.load.hub.HubEnvironment;
import ai.lort.run.SafetensorsWeights;
import ai.lort.run.WeightSource;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Opens what {@code --model} names for the engine: a .lort file, or anything lort compress accepts (folder, file, shards, hub id). */
final class ModelWeights {
    private ModelWeights() {}

    static WeightSource open(String spec, String revision, boolean quiet) {
        Path lort = lortFile(spec);
        if (lort != null)
            throw new LortException(lort + ": running .lort files is not wired into the engine yet; give the original model");
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
