package ai.lort.calibrate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.CalibratedDecomposer;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFormat;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.run.SafetensorsWeights;
import ai.lort.testing.SharedData;
import ai.lort.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalibrationRunnerTest {
    record Seen(String first, double[] h, double[] c) {}

    /**
     * Runs the real stories260K model over 3 stories, compressing every projection (rank 0,
     * β = 0.5), and checks each layer against the weight-only fit on the same inputs.
     */
    static List<Seen> calibrate() throws Exception {
        var dir = SharedData.require("models/stories260K");
        String text = Files.readString(SharedData.require("data/tinystories-valid-excerpt.txt"));
        List<Seen> seen = new ArrayList<>();
        try (SourceModel model = SourceModel.open(LocalModel.resolve(dir))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            List<int[]> data = CalibrationData.fromText(Tokenizer.load(w::file), text, 3, 512);
            try (CalibrationRunner runner = new CalibrationRunner(w, 1, 512)) {
                runner.run(data, name -> true, (names, h, c, n, tokens) -> {
                    seen.add(new Seen(names.get(0), h.clone(), c.clone()));
                    Map<String, CompressedLayer> out = new HashMap<>();
                    for (String name : names) {
                        Tensor t = model.tensor(name);
                        float[] wt = t.toFloats();
                        var r = CalibratedDecomposer.decompose(wt, t.rows(), n, h, c,
                                new CalibratedDecomposer.Options(0.5, 0, 1, 4, true, 1), 1);
                        var als = AlsDecomposer.decompose(wt, t.rows(), n, 0, 0, 1);
                        double alsOut = CalibratedDecomposer.outputError(wt, t.rows(), n, h, als.scales(), als.t(), als.b(), als.a(), 0);
                        assertThat(r.outputError()).as(name + " output error, calibrated vs weight-only").isLessThan(alsOut);
                        out.put(name, CompressedLayer.encode(name, t.rows(), n, 0, CompressedLayer.PACKING_T2_G64, LortFormat.SCALES_ROW_F16, r.scales(), r.t(), r.a(), r.b(), null));
                    }
                    return out;
                });
            }
        }
        return seen;
    }

    @Test
    void everyGroupSeesTheCompressedModelsInputsAndBeatsWeightOnlyOnEveryLayer() throws Exception {
        List<Seen> seen = calibrate();
        assertThat(seen).hasSize(5 * 4); // q/k/v, o, gate/up, down in each of 5 layers
        assertThat(seen.get(0).first()).isEqualTo("model.layers.0.self_attn.q_proj.weight");
        assertThat(seen.get(1).first()).isEqualTo("model.layers.0.self_attn.o_proj.weight");
        // Before anything is compressed both streams are the same: C = H exactly.
        assertThat(seen.get(0).c()).isEqualTo(seen.get(0).h());
        // From then on the inputs come from the compressed layers: if the runner fed the original
        // activations, H would equal C = X_fpᵀX/N for every group.
        for (Seen s : seen.subList(1, seen.size())) {
            double diff = 0, norm = 0;
            for (int i = 0; i < s.h().length; i++) { diff += Math.abs(s.h()[i] - s.c()[i]); norm += Math.abs(s.h()[i]); }
            assertThat(diff / norm).as(s.first()).isGreaterThan(1e-3);
        }
    }
}
