package ai.lort.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.lort.pack.Hadamard;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LortFile#reconstructRows}: blocks of rows, and the ternary and low-rank parts apart, add up to the whole reconstruction. */
class ReconstructRowsTest {
    private static CompressedLayer layer(Packing packing, Hadamard rotation) {
        int rows = 37, cols = 128, rank = 3;
        Random rnd = new Random(11);
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        float[] s = new float[rows], a = new float[rank * cols], b = new float[rows * rank];
        for (int i = 0; i < rows; i++) s[i] = 0.01f + rnd.nextFloat() * 0.1f;
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian() * 0.1f;
        return CompressedLayer.encode("l", rows, cols, rank, packing, ScaleEncoding.ROW_F16, s, t, a, b, rotation);
    }

    @Test
    void blocksOfRowsGiveTheSameBitsAsTheWholeLayer() {
        for (Hadamard rot : new Hadamard[] {null, Hadamard.of(128, 5)})
            for (Packing p : Packing.values()) {
                CompressedLayer l = layer(p, rot);
                float[] whole = LortFile.reconstruct(l, 2);
                float[] joined = new float[whole.length];
                for (int from = 0; from < l.rows(); from += 10) {
                    int to = Math.min(l.rows(), from + 10);
                    float[] part = LortFile.reconstructRows(l, from, to, true, true, 1);
                    System.arraycopy(part, 0, joined, from * l.cols(), part.length);
                }
                assertThat(joined).as(p + " rotation " + rot).containsExactly(whole);
            }
    }

    @Test
    void ternaryAndLowRankPartsAddUpToTheWhole() {
        CompressedLayer l = layer(Packing.T3_B5, Hadamard.of(128, 9));
        float[] whole = LortFile.reconstruct(l);
        float[] ternary = LortFile.reconstructRows(l, 0, l.rows(), true, false, 1);
        float[] lowRank = LortFile.reconstructRows(l, 0, l.rows(), false, true, 1);
        assertThat(Arrays.equals(ternary, whole)).isFalse();
        for (int i = 0; i < whole.length; i++) assertThat(ternary[i] + lowRank[i]).isCloseTo(whole[i], within(1e-5f));
    }
}
