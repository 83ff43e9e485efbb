package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.format.LortFile;
import ai.lort.load.SourceModel;
import ai.lort.run.SafetensorsWeights;
import ai.lort.run.WeightSource;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens what {@code --model} names for the engine: a .lort file, or anything lort compress accepts. */
final class ModelWeights {
    private ModelWeights() {}

    static WeightSource open(String spec, boolean quiet) {
        Path p = ModelSource.expandHome(spec);
        if (Files.isRegularFile(p) && LortFile.looksLikeLort(p))
            throw new LortException(p + ": running .lort files is not wired into the engine yet; give the original model");
        SourceModel source = SourceModel.open(ModelSource.locate(spec, null, quiet).local());
        return new SafetensorsWeights(source);
    }
}
