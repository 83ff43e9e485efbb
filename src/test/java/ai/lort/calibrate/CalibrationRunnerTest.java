package ai.lort.calibrate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.CalibratedDecomposer;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFormat;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.testing.SharedData;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.weights.SafetensorsWeights;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalibrationRunnerTest {
    /** A group's first weight, its H, and W·H beside W·C. */
    record Seen(String first, float[] h, float[] wh, float[] wc) {}

    static float[] timesH(float[] w, int m, int n, float[] h) {
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n; j++) out[i * n + j] += w[i * n + k] * h[k * n + j];
        return out;
    }

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
                runner.run(data, name -> true, (names, moments) -> {
                    int n = moments.n();
                    float[] h = moments.h();
                    Map<String, CompressedLayer> out = new HashMap<>();
                    for (String name : names) {
                        Tensor t = model.tensor(name);
                        float[] wt = t.toFloats();
                        float[] wc = moments.weightTimesC(wt, t.rows());
                        if (name.equals(names.get(0))) seen.add(new Seen(name, h.clone(), timesH(wt, t.rows(), n, h), wc));
                        var r = CalibratedDecomposer.decompose(wt, t.rows(), n, h.clone(), wc,
                                new CalibratedDecomposer.Options(0.5, 0, 1, 4, true, 1), 1);
                        var als = AlsDecomposer.decompose(wt, t.rows(), n, 0, 0, 1);
                        double alsOut = CalibratedDecomposer.outputError(wt, t.rows(), n, h, als.scales(), als.t(), als.b(), als.a(), 0, 1);
                        assertThat(r.outputError()).as(name + " output error, calibrated vs weight-only").isLessThan(alsOut);
                        out.put(name, CompressedLayer.encode(name, t.rows(), n, 0, Packing.T2_G64, ScaleEncoding.ROW_F16, r.scales(), r.t(), r.a(), r.b(), null));
                    }
                    return out;
                });
            }
        }
        return seen;
    }

    static double relativeDifference(float[] a, float[] b) {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) { diff += Math.abs(a[i] - b[i]); norm += Math.abs(b[i]); }
        return diff / norm;
    }

    @Test
    void everyGroupSeesTheCompressedModelsInputsAndBeatsWeightOnlyOnEveryLayer() throws Exception {
        List<Seen> seen = calibrate();
        assertThat(seen).hasSize(5 * 4); // q/k/v, o, gate/up, down in each of 5 layers
        assertThat(seen.get(0).first()).isEqualTo("model.layers.0.self_attn.q_proj.weight");
        assertThat(seen.get(1).first()).isEqualTo("model.layers.0.self_attn.o_proj.weight");
        // Before anything is compressed both streams are the same: C = H, so W·C = W·H.
        assertThat(relativeDifference(seen.get(0).wc(), seen.get(0).wh())).isLessThan(1e-5);
        // From then on the inputs come from the compressed layers: if the runner fed the original
        // activations, H would equal C = X_fpᵀX/N for every group, and W·C = W·H (down_proj's
        // W·C comes from the original outputs, a different route to the same quantity).
        for (Seen s : seen.subList(1, seen.size()))
            assertThat(relativeDifference(s.wc(), s.wh())).as(s.first()).isGreaterThan(1e-3);
    }
}
