package ai.lort.calibrate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

class CalibrationDataTest {
    /**
     * Self-sampled calibration text is the same whatever the thread count (each sequence draws
     * with its own seeded sampler, on whichever thread), and sequence i is the same whether it is
     * sampled with others or alone (its seed is {@code seed + i}; lockstep rows do not interact).
     */
    @Test
    void sampledSequencesDependOnTheSeedOnly() throws Exception {
        var dir = SharedData.require("models/stories260K");
        try (SourceModel model = SourceModel.open(LocalModel.resolve(dir))) {
            SafetensorsWeights w = new SafetensorsWeights(model);
            List<int[]> one, two, alone;
            try (LlamaModel m = LlamaModel.load(w, new CpuBackend(1), 64, 64)) {
                one = CalibrationData.generate(m, 1, 7, 40, 5, 1);
            }
            try (LlamaModel m = LlamaModel.load(w, new CpuBackend(2), 64, 64)) {
                two = CalibrationData.generate(m, 1, 7, 40, 5, 3);
                alone = CalibrationData.generate(m, 1, 1, 40, 11, 2);
            }
            assertThat(one).hasSize(7);
            assertThat(two).hasSize(7);
            for (int i = 0; i < 7; i++) {
                assertThat(two.get(i)).as("sequence %d", i).containsExactly(one.get(i));
                assertThat(one.get(i)[0]).isEqualTo(1);
                assertThat(one.get(i).length).isBetween(2, 40);
            }
            assertThat(alone.get(0)).containsExactly(one.get(6));
            assertThat(one.stream().map(java.util.Arrays::toString).distinct().count()).isGreaterThan(1); // the seeds differ, so do the texts
        }
    }
}
