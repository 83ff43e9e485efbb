package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Code moves go where the gradient promises most, one level at a time, and never leave {−1, 0, +1}. */
class CodeUpdatesTest {
    @Test
    void movesTheCodesWithTheLargestPromisedDecreaseOneLevelDownhill() {
        int rows = 3, cols = 4;
        CodeUpdates u = new CodeUpdates(rows, cols);
        float[] codes = {-1, 0, 1, 0, 1, 1, -1, 0, 0, -1, 1, 1};
        float[] scales = {1, 2, 0.5f};
        // dL/dt_ij = s_i·G_ij (after the average's first step: (1 − momentum)·G).
        float[] g = {5, -9, 3, 0.1f, 4, -1, -2, 0, 7, 8, -6, 0};
        System.arraycopy(g, 0, u.grad, 0, g.length);
        int moved = u.step(codes, scales, 3.0 / 12, 1);
        assertThat(moved).isEqualTo(3);
        // Gains s·|G|/10 where the move is possible (G > 0: down, G < 0: up): row 0: 0 (t = −1 cannot go down), 0.9 up,
        // 0.3 down, 0.01 down; row 1: 0.8 down, 0 (t = 1 cannot go up), 0.4 up, 0; row 2: 0.35 down, 0, 0, 0.
        assertThat(codes).containsExactly(-1, 1, 1, 0, 0, 1, 0, 0, 0, -1, 1, 1);
        assertThat(u.grad).containsOnly(0f);
        for (float c : codes) assertThat(c).isIn(-1f, 0f, 1f);
    }

    @Test
    void kthLargestAgreesWithSorting() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int trial = 0; trial < 50; trial++) {
            float[] v = new float[1 + rnd.nextInt(300)];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(20) / 4f; // many ties
            int k = 1 + rnd.nextInt(v.length);
            float[] sorted = v.clone();
            Arrays.sort(sorted);
            assertThat(CodeUpdates.kthLargest(v, k)).isEqualTo(sorted[v.length - k]);
        }
    }
}
