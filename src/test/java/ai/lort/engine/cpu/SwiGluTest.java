package ai.lort.engine.cpu;

import static ai.lort.engine.cpu.OpTesting.VL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SwiGluTest {
    private static float[][] gateAndUp(Random rnd, int n) {
        float[] g = new float[n], u = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextGaussian() * (i % 7 == 0 ? 40 : 3)); // some far out on both sides
            u[i] = (float) rnd.nextGaussian();
        }
        return new float[][] {g, u};
    }

    /** Within 4 ulp (and 1e-6 near 0) of the scalar reference, tails included. */
    @Test
    void matchesTheScalarReference() {
        Random rnd = new Random(7);
        for (int n : new int[] {1, VL - 1, VL, VL + 1, 100, 4864, 4867}) {
            float[][] gu = gateAndUp(rnd, n);
            float[] want = gu[0].clone(), got = gu[0].clone();
            SwiGlu.scalarSiluMul(want, gu[1], n);
            SwiGlu.siluMul(got, gu[1], n);
            for (int i = 0; i < n; i++) assertThat(got[i]).as("n %d i %d", n, i).isCloseTo(want[i], within(1e-6f + 4 * Math.ulp(want[i])));
        }
    }

    /**
     * Exactly {@code g / (1 + e^-g) · u} with the vector exp's scalar twin over the whole vectors,
     * and exactly the reference over the tail; values past n untouched.
     */
    @Test
    void equalsItsDefinitionPerLaneBitForBit() {
        Random rnd = new Random(8);
        for (int n : OpTesting.awkwardSizes()) {
            float[][] gu = gateAndUp(rnd, n + 3);
            float[] g = gu[0], u = gu[1], got = g.clone(), want = g.clone();
            SwiGlu.siluMul(got, u, n);
            int whole = n / VL * VL;
            for (int i = 0; i < whole; i++) want[i] = g[i] / (VectorExp.scalarExp(-g[i]) + 1f) * u[i];
            for (int i = whole; i < n; i++) want[i] = g[i] / (1.0f + (float) Math.exp(-g[i])) * u[i];
            assertThat(got).as("n %d", n).isEqualTo(want);
        }
    }
}
