package ai.lort.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.testing.SharedData;
import ai.lort.weights.SafetensorsWeights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LockstepTest {
    /** Three sequences decoded side by side give each the logits it gets decoded alone (tiny-qwen3: q/k norms, GQA, biases). */
    @Test
    void sequencesDecodedSideBySideMatchEachDecodedAlone() throws Exception {
        Path dir = SharedData.require("models/tiny-qwen3");
        int[][] seqs = {{1, 5, 9, 200, 17}, {3, 3, 3, 3, 3}, {250, 40, 7, 99, 1}};
        try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(dir)));
             LlamaModel side = LlamaModel.load(w, new CpuBackend(2), 8, 4);
             LlamaModel alone = LlamaModel.load(w, new CpuBackend(1), 8, 4)) {
            LlamaModel.Lockstep lockstep = side.lockstep(seqs.length);
            float[][][] want = new float[seqs.length][seqs[0].length][alone.vocabSize()];
            for (int s = 0; s < seqs.length; s++)
                for (int p = 0; p < seqs[s].length; p++) {
                    alone.forward(seqs[s], p, 1, p, false);
                    alone.logits(0, want[s][p]);
                }
            float[] got = new float[side.vocabSize()];
            for (int p = 0; p < seqs[0].length; p++) {
                int[] step = new int[seqs.length];
                for (int s = 0; s < seqs.length; s++) step[s] = seqs[s][p];
                side.forwardLockstep(lockstep, step, p);
                for (int s = 0; s < seqs.length; s++) {
                    side.logits(s, got);
                    for (int i = 0; i < got.length; i++) assertThat(got[i]).as("sequence %d position %d logit %d", s, p, i).isCloseTo(want[s][p][i], within(1e-4f));
                }
            }
        }
    }
}
