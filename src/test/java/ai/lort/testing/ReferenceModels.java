package ai.lort.testing;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;

/** The shared models' {@code reference.json} (outputs computed by Hugging Face transformers), and the models themselves on the CPU. */
public final class ReferenceModels {
    private ReferenceModels() {}

    public static JsonNode reference(Path dir) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    public static LlamaModel open(Path dir, int threads, int batch) {
        WeightSource w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(dir)));
        return LlamaModel.load(w, new CpuBackend(threads), 0, batch);
    }
}
