package ai.lort.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.ReferenceModels;
import ai.lort.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SequencesTest {
    /**
     * Three sequences at different positions (one prefilled across a batch boundary, one started
     * later) decoded in shared steps give each the bits it gets decoded alone.
     */
    @Test
    void rowsAtTheirOwnPositionsGetTheBitsOfALoneSequence() {
        Path dir = SharedData.require("models/tiny-qwen3");
        int[][] prompts = {{1, 5, 9, 200, 17, 3, 8, 40, 41, 42}, {3}, {250, 40, 7, 99}};
        int steps = 5;
        try (LlamaModel side = ReferenceModels.open(dir, 2, 4); LlamaModel alone = ReferenceModels.open(dir, 1, 4)) {
            float[][][] want = new float[prompts.length][steps][alone.vocabSize()];
            int[][] fed = new int[prompts.length][steps];
            for (int s = 0; s < prompts.length; s++) {
                alone.prefill(prompts[s], 0, prompts[s].length, 0);
                for (int p = 0; p < steps; p++) {
                    fed[s][p] = (7 * s + 13 * p) % 200 + 1;
                    alone.forward(fed[s], p, 1, prompts[s].length + p, false);
                    alone.logits(0, want[s][p]);
                }
            }
            Sequences seqs = new Sequences(side, 3);
            float[] got = new float[side.vocabSize()];
            // Sequence 2 starts two steps after the others.
            seqs.prefill(0, prompts[0], 0, prompts[0].length, 0);
            seqs.prefill(1, prompts[1], 0, prompts[1].length, 0);
            int[] done = new int[3];
            for (int round = 0; round < steps + 2; round++) {
                if (round == 2) seqs.prefill(2, prompts[2], 0, prompts[2].length, 0);
                int[] rows = new int[3], tokens = new int[3], positions = new int[3];
                int n = 0;
                for (int s = 0; s < 3; s++) {
                    if ((s == 2 && round < 2) || done[s] == steps) continue;
                    rows[n] = s;
                    tokens[n] = fed[s][done[s]];
                    positions[n] = prompts[s].length + done[s];
                    n++;
                }
                seqs.step(rows, tokens, positions, n);
                for (int i = 0; i < n; i++) {
                    side.logits(i, got);
                    int s = rows[i];
                    for (int v = 0; v < got.length; v++)
                        assertThat(Float.floatToRawIntBits(got[v])).as("sequence %d step %d logit %d", s, done[s], v)
                                .isEqualTo(Float.floatToRawIntBits(want[s][done[s]][v]));
                    done[s]++;
                }
            }
        }
    }
}
