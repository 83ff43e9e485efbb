package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each row offers its most promising downhill move; moves are taken within a budget; codes never leave {−1, 0, +1}. */
class CodeUpdatesTest {
    @Test
    void eachRowOffersItsBestDownhillMoveAndAMoveForgetsTheRowsAverage() {
        int rows = 3, cols = 4;
        CodeUpdates u = new CodeUpdates(rows, cols);
        byte[] codes = {-1, 0, 1, 0, 1, 1, -1, 0, 0, -1, 1, 1};
        float[] scales = {1, 2, 0.5f};
        // dL/dt_ij = s_i·G_ij (after the average's first step: (1 − momentum)·G).
        float[] g = {50, -9, 3, 0.1f, 4, -1, -2, 0, 0, 0, 0, 0};
        System.arraycopy(g, 0, u.grad, 0, g.length);
        float[] gain = new float[rows];
        int[] column = new int[rows];
        u.offers(codes, scales, gain, column, 0, 1);
        // Row 0: t = −1 cannot go down, so the best is 0.9 up at column 1; row 1: 0.8 down at column 0; row 2: nothing.
        assertThat(gain[0]).isCloseTo(0.9f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(column[0]).isEqualTo(1);
        assertThat(gain[1]).isCloseTo(0.8f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(column[1]).isEqualTo(0);
        assertThat(gain[2]).isZero();
        assertThat(u.grad).containsOnly(0f);

        u.move(0, 1, codes, scales);
        u.move(1, 0, codes, scales);
        assertThat(codes).containsExactly(-1, 1, 1, 0, 0, 1, -1, 0, 0, -1, 1, 1);
        for (byte c : codes) assertThat(c).isBetween((byte) -1, (byte) 1);
        // The moved rows start their average afresh: with no new gradient they offer nothing.
        u.offers(codes, scales, gain, column, 0, 1);
        assertThat(gain).containsExactly(0f, 0f, 0f);
    }

    @Test
    void selectTakesTheBestGainsWhileTheirSumFitsTheBudget() {
        float[] sorted = {0.5f, 0.3f, 0.2f, 0.1f, 0f, 0f};
        assertThat(CodeUpdates.select(sorted, sorted.length, 0)).isZero();
        assertThat(CodeUpdates.select(sorted, sorted.length, 0.49)).isZero();
        assertThat(CodeUpdates.select(sorted, sorted.length, 0.85)).isEqualTo(2);
        assertThat(CodeUpdates.select(sorted, sorted.length, 0.95)).isEqualTo(2);
        assertThat(CodeUpdates.select(sorted, sorted.length, 10)).isEqualTo(4); // never the zero gains
        assertThat(CodeUpdates.select(sorted, 3, 10)).isEqualTo(3);
    }
}
