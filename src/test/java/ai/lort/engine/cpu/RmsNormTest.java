package ai.lort.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RmsNormTest {
    /**
     * Against the definition in double precision, within 4 ulp of each output (a float root, two
     * float products): sizes with and without tails, offsets into longer rows, rows of small and
     * large magnitude, eps that matters and one that does not.
     */
    @Test
    void matchesTheDefinition() {
        Random rnd = new Random(51);
        for (int size : new int[] {1, 7, 8, 17, 64, 128, 288, 4099})
            for (double scale : new double[] {1e-3, 1, 300})
                for (float eps : new float[] {1e-6f, 1e-2f}) {
                    float[] x = OpTesting.gaussian(rnd, size + 9, scale), w = OpTesting.gaussian(rnd, size, 1), out = new float[size + 4];
                    RmsNorm.rmsNorm(out, 4, x, 9, w, size, eps);
                    double ss = 0;
                    for (int i = 0; i < size; i++) ss += (double) x[9 + i] * x[9 + i];
                    double inv = 1 / Math.sqrt(ss / size + eps);
                    for (int i = 0; i < 4; i++) assertThat(out[i]).isZero();
                    for (int i = 0; i < size; i++) {
                        double want = w[i] * x[9 + i] * inv;
                        assertThat((double) out[4 + i]).as("size %d scale %s eps %s i %d", size, scale, eps, i)
                                .isCloseTo(want, within(4.0 * Math.ulp((float) want)));
                    }
                }
    }

    /** Per head: each head normalized alone with the same weights, in place, bit for bit as one call per head. */
    @Test
    void perHeadIsOneNormPerHead() {
        Random rnd = new Random(52);
        for (int hd : new int[] {8, 64, 128}) {
            int heads = 5;
            float[] x = OpTesting.gaussian(rnd, heads * hd, 2), w = OpTesting.gaussian(rnd, hd, 1), got = x.clone(), want = new float[heads * hd];
            RmsNorm.perHead(got, heads * hd, w, hd, 1e-6f);
            for (int h = 0; h < heads; h++) RmsNorm.rmsNorm(want, h * hd, x, h * hd, w, hd, 1e-6f);
            assertThat(got).as("hd %d", hd).isEqualTo(want);
        }
    }
}
