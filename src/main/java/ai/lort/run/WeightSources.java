package ai.lort.run;

import ai.lort.LortException;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens what {@code --model} names as weights for the engine. */
public final class WeightSources {
    private WeightSources() {}

    /** A .lort file, or a safetensors model folder, file or shard set. */
    public static WeightSource open(String spec) {
        Path path = Path.of(spec);
        if (spec.endsWith(".lort") && Files.isRegularFile(path))
            throw new LortException(path + ": running .lort files is not wired into the engine yet; give the original model");
        if (!Files.exists(path))
            throw new LortException(spec + ": no such file or folder (give a .lort file, a model folder or a .safetensors file)");
        return new SafetensorsWeights(SourceModel.open(LocalModel.resolve(path)));
    }
}
