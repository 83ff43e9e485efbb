package ai.lort.engine.cpu;

import static ai.lort.engine.cpu.OpTesting.VL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.engine.Backend.Attention;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionKernelsTest {
    private static final int[] HEAD_DIMS = {8, 12, 48, 64, 128};

    /**
     * Heads of whole vectors take the vector dot product: within the bound on two sums of n
     * products ({@link OpTesting#sumBound}) of the reference. Other sizes take the reference itself.
     */
    @Test
    void dotMatchesTheScalarReference() {
        Random rnd = new Random(31);
        for (int n : new int[] {1, 3, 7, 8, 12, 48, 64, 128, 100, VL - 1, VL, VL + 1, 8 * VL}) {
            float[] a = OpTesting.gaussian(rnd, n + 11, 1), b = OpTesting.gaussian(rnd, n + 5, 1);
            int ao = 11, bo = 5;
            float got = AttentionKernels.dot(a, ao, b, bo, n), want = AttentionKernels.scalarDot(a, ao, b, bo, n);
            if (n % VL != 0) {
                assertThat(got).as("n %d", n).isEqualTo(want);
                continue;
            }
            double abs = 0;
            for (int i = 0; i < n; i++) abs += Math.abs((double) a[ao + i] * b[bo + i]);
            assertThat((double) got).as("n %d", n).isCloseTo(want, within(OpTesting.sumBound(n, abs)));
        }
    }

    /**
     * Scores over transposed keys equal the reference over the keys as stored, bit for bit (the same
     * fused products in the same order): head sizes that are and are not whole vectors, spans with
     * tails, starting at 0 and inside the transposed block, for the second of two kv heads.
     */
    @Test
    void transposedScoresEqualTheScalarReference() {
        Random rnd = new Random(32);
        for (int hd : HEAD_DIMS)
            for (int count : OpTesting.awkwardSizes())
                for (int skip : new int[] {0, 5}) {
                    int lo = 3, kvHeads = 2, rows = lo + skip + count;
                    var shape = new Attention(4, kvHeads, hd, (float) (1 / Math.sqrt(hd)), 0);
                    float[][] ks = OpTesting.gaussian(rnd, rows, kvHeads * hd, 1);
                    float[] q = OpTesting.gaussian(rnd, 3 * hd, 1);
                    float[][][] kt = AttentionKernels.transposeKeys(ks, lo, rows, shape, null);
                    float[] got = new float[count + AttentionKernels.SLACK], want = new float[count];
                    AttentionKernels.transposedScores(q, hd, kt[1], skip, count, hd, shape.scale(), got);
                    AttentionKernels.scalarScores(q, hd, ks, lo + skip, hd, count, hd, shape.scale(), want);
                    assertThat(java.util.Arrays.copyOf(got, count)).as("hd %d count %d skip %d", hd, count, skip).isEqualTo(want);
                }
    }

    /** The transposed keys are the keys, head by head, padded with zeros; a buffer of the right shape is reused. */
    @Test
    void transposeKeysLaysOutEveryKeyAndPadsWithZeros() {
        Random rnd = new Random(33);
        var shape = new Attention(6, 3, 8, 1f, 0);
        float[][] ks = OpTesting.gaussian(rnd, 40, 3 * 8, 1);
        float[][][] kt = AttentionKernels.transposeKeys(ks, 0, 40, shape, null);
        for (float[][] head : kt) for (float[] row : head) java.util.Arrays.fill(row, 40, row.length, Float.NaN);
        assertThat(AttentionKernels.transposeKeys(ks, 9, 31, shape, kt)).isSameAs(kt);
        for (int h = 0; h < 3; h++)
            for (int d = 0; d < 8; d++) {
                for (int s = 9; s < 31; s++) assertThat(kt[h][d][s - 9]).isEqualTo(ks[s][h * 8 + d]);
                for (int j = 22; j < 22 + AttentionKernels.SLACK; j++) assertThat(kt[h][d][j]).isZero();
            }
    }

    /**
     * The weighted sums of values: the batched kernel (heads of whole vectors) and the single-token
     * kernel on heads of whole vectors equal the reference bit for bit; the single-token kernel on
     * other heads (products rounded before they are added) is within {@link OpTesting#sumBound}.
     */
    @Test
    void weightedSumsMatchTheScalarReference() {
        Random rnd = new Random(34);
        for (int hd : HEAD_DIMS)
            for (int count : OpTesting.awkwardSizes()) {
                int first = 6, vo = hd, oo = 2 * hd, rows = first + count;
                float[][] v = OpTesting.gaussian(rnd, rows, 2 * hd, 1);
                float[] byPosition = new float[rows];
                for (int s = first; s < rows; s++) byPosition[s] = rnd.nextFloat() / count;
                float[] fromZero = java.util.Arrays.copyOfRange(byPosition, first, rows);
                float[] want = new float[3 * hd];
                AttentionKernels.scalarWeightedSum(byPosition, first, count, v, first, vo, want, oo, hd);

                float[] single = new float[3 * hd];
                AttentionKernels.weightedSum(byPosition, first, rows - 1, v, vo, single, oo, hd);
                if (hd % VL == 0) {
                    assertThat(single).as("single hd %d count %d", hd, count).isEqualTo(want);
                    float[] batched = new float[3 * hd];
                    AttentionKernels.weightedSumRows(fromZero, count, v, first, vo, batched, oo, hd);
                    assertThat(batched).as("batched hd %d count %d", hd, count).isEqualTo(want);
                    continue;
                }
                for (int i = 0; i < hd; i++) {
                    double abs = 0;
                    for (int s = first; s < rows; s++) abs += Math.abs((double) byPosition[s] * v[s][vo + i]);
                    assertThat((double) single[oo + i]).as("single hd %d count %d i %d", hd, count, i)
                            .isCloseTo(want[oo + i], within(OpTesting.sumBound(count, abs)));
                }
            }
    }
}
