package ai.lort.engine.cpu;

import static ai.lort.engine.cpu.OpTesting.VL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorExpTest {
    private static float[] vectorExp(float[] xs) {
        float[] ys = new float[xs.length];
        for (int i = 0; i < xs.length; i += VL)
            VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, xs, i)).intoArray(ys, i);
        return ys;
    }

    /**
     * The vector exp gives its scalar reference's bits in every lane: the same adds, multiplies
     * and FMAs in the same order. Inputs over [-100, 100] (past both clamps), near 0, at the
     * clamps, and the infinities.
     */
    @Test
    void vectorEqualsTheScalarReferenceBitForBit() {
        Random rnd = new Random(17);
        float[] xs = new float[VL * 4096];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = switch (i % 4) {
                case 0 -> (float) (rnd.nextDouble() * 200 - 100);
                case 1 -> (float) (rnd.nextGaussian() * 1e-3);
                case 2 -> (float) (rnd.nextDouble() * 175 - 87);
                default -> (float) rnd.nextGaussian() * 10;
            };
        }
        float[] special = {0f, -0f, -87f, 88f, Math.nextDown(-87f), Math.nextUp(88f), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, 0.5f * (float) Math.log(2), -0.5f * (float) Math.log(2)};
        System.arraycopy(special, 0, xs, 0, special.length);
        float[] ys = vectorExp(xs);
        for (int i = 0; i < xs.length; i++) {
            float want = VectorExp.scalarExp(xs[i]);
            if (Float.floatToRawIntBits(ys[i]) != Float.floatToRawIntBits(want))
                assertThat(ys[i]).as("exp(%s) lane %d", xs[i], i % VL).isEqualTo(want);
        }
    }

    /** Both within 2 ulp of Math.exp on [-87, 88]. */
    @Test
    void withinTwoUlpOfMathExp() {
        Random rnd = new Random(11);
        float[] xs = new float[VL * 20_000];
        for (int i = 0; i < xs.length; i++) {
            int round = i / VL, lane = i % VL;
            xs[i] = round < 10 ? -87f + lane + round * 17.5f * lane / VL : (float) (rnd.nextDouble() * 175 - 87);
        }
        float[] ys = vectorExp(xs);
        for (int i = 0; i < xs.length; i++) {
            float x = Math.max(-87f, Math.min(88f, xs[i])), want = (float) Math.exp(x);
            assertThat(ys[i]).as("exp(%s)", x).isCloseTo(want, within(2 * Math.ulp(want)));
        }
    }

    /** Below -87 (-∞ included) the result is e^-87, above 88 it is e^88: never 0, a subnormal or infinity. */
    @Test
    void clampsOutsideTheRange() {
        float[] xs = new float[VL];
        xs[0] = -1000f;
        xs[1] = 1000f;
        xs[2] = Float.NEGATIVE_INFINITY;
        if (VL > 4) xs[4] = Float.POSITIVE_INFINITY;
        float[] ys = vectorExp(xs);
        float top = (float) Math.exp(88f);
        assertThat(ys[0]).isEqualTo((float) Math.exp(-87f));
        assertThat(ys[1]).isCloseTo(top, within(2 * Math.ulp(top)));
        assertThat(ys[2]).isEqualTo((float) Math.exp(-87f));
        assertThat(ys[3]).isEqualTo(1f);
        if (VL > 4) assertThat(ys[4]).isEqualTo(ys[1]);
        assertThat(VectorExp.scalarExp(Float.NEGATIVE_INFINITY)).isEqualTo((float) Math.exp(-87f));
    }
}
