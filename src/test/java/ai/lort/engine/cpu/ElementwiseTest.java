package ai.lort.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    /** x[i] += y[i] exactly for i < n, nothing past n. */
    @Test
    void addsInPlace() {
        Random rnd = new Random(71);
        for (int n : OpTesting.awkwardSizes()) {
            float[] x = OpTesting.gaussian(rnd, n + 3, 1), y = OpTesting.gaussian(rnd, n + 3, 1), got = x.clone(), want = x.clone();
            for (int i = 0; i < n; i++) want[i] = x[i] + y[i];
            Elementwise.addInPlace(got, y, n);
            assertThat(got).as("n %d", n).isEqualTo(want);
        }
    }
}
