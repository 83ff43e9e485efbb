package ai.lort.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    private static final float FLOOR = (float) Math.exp(-87f);

    /** Scores as attention makes them: mostly within a few units, some rows with a wide spread. */
    private static float[] scores(Random rnd, int n, double spread) {
        return OpTesting.gaussian(rnd, n, spread);
    }

    /**
     * The vector softmax against the scalar reference, each probability within {@code 2·(count + 4)·u}
     * of the reference's, relatively (u = 2^-24): the sums of count terms, added in other orders,
     * differ by up to 2·count·u, the exps by 2 ulp, the quotients round once each; plus e^-87
     * absolutely, the vector exp's floor (scores more than 87 below the maximum). The values past
     * count are not touched.
     */
    @Test
    void vectorMatchesTheScalarReference() {
        Random rnd = new Random(21);
        for (int count : OpTesting.awkwardSizes())
            for (double spread : new double[] {0.1, 3, 30}) {
                float[] att = scores(rnd, count + 5, spread), want = att.clone(), got = att.clone();
                Softmax.scalarSoftmax(want, 0, count);
                Softmax.softmax(got, count);
                for (int j = 0; j < count; j++)
                    assertThat(got[j]).as("count %d spread %s j %d", count, spread, j).isCloseTo(want[j], within(2 * (count + 4) * 0x1p-24f * want[j] + FLOOR));
                for (int j = count; j < att.length; j++) assertThat(got[j]).isEqualTo(att[j]);
            }
    }

    /** The reference against the definition in double precision, over a span that starts inside the row. */
    @Test
    void scalarReferenceMatchesTheDefinition() {
        Random rnd = new Random(22);
        for (int count : OpTesting.awkwardSizes()) {
            int from = 7;
            float[] att = scores(rnd, from + count + 2, 3), got = att.clone();
            Softmax.scalarSoftmax(got, from, from + count);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int s = from; s < from + count; s++) max = Math.max(max, att[s]);
            for (int s = from; s < from + count; s++) sum += Math.exp(att[s] - max);
            for (int s = 0; s < att.length; s++) {
                if (s < from || s >= from + count) {
                    assertThat(got[s]).isEqualTo(att[s]);
                    continue;
                }
                double want = Math.exp(att[s] - max) / sum;
                assertThat((double) got[s]).as("count %d s %d", count, s).isCloseTo(want, within(1e-6 * want + 1e-9));
            }
        }
    }
}
