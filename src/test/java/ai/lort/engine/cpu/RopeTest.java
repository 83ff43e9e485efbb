package ai.lort.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    /** Tables as a Llama model builds them: {@code θ_i = pos · base^(-2i / headDim)}, headDim/2 values per position. */
    private static float[][] tables(int headDim, int positions) {
        int half = headDim / 2;
        float[] cos = new float[positions * half], sin = new float[positions * half];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(10000, -2.0 * i / headDim);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        return new float[][] {cos, sin};
    }

    /**
     * Every head of a row turned pair by pair, against the rotation in double precision from the
     * same float tables: within 2 ulp of the larger input of the pair (two rounded products and a
     * rounded sum). Head sizes 8, 64, 128, positions 0 to 300; values past the heads untouched.
     */
    @Test
    void rotatesEveryHeadLikeTheDefinition() {
        Random rnd = new Random(61);
        for (int hd : new int[] {8, 64, 128}) {
            float[][] cs = tables(hd, 301);
            int heads = 3, cols = heads * hd, half = hd / 2;
            for (int pos : new int[] {0, 1, 37, 300}) {
                float[] x = OpTesting.gaussian(rnd, cols + 2, 1), got = x.clone();
                Rope.rotate(got, cols, hd, cs[0], cs[1], pos * half);
                for (int h = 0; h < cols; h += hd)
                    for (int i = 0; i < half; i++) {
                        double c = cs[0][pos * half + i], s = cs[1][pos * half + i], x0 = x[h + i], x1 = x[h + i + half];
                        float tol = 2 * Math.ulp((float) Math.max(Math.abs(x0), Math.abs(x1)));
                        String what = "hd %d pos %d head %d i %d".formatted(hd, pos, h / hd, i);
                        assertThat((double) got[h + i]).as(what).isCloseTo(x0 * c - x1 * s, within((double) tol));
                        assertThat((double) got[h + i + half]).as(what).isCloseTo(x1 * c + x0 * s, within((double) tol));
                    }
                assertThat(got[cols]).isEqualTo(x[cols]);
                assertThat(got[cols + 1]).isEqualTo(x[cols + 1]);
                if (pos == 0) assertThat(got).as("position 0 turns nothing").isEqualTo(x);
            }
        }
    }
}
