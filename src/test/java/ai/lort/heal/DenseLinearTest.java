package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseLinearTest {
    static double[] reference(double[] x, double[] w, double[] bias, int tokens, int in, int out) {
        double[] y = new double[tokens * out];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < out; i++) {
                double acc = bias == null ? 0 : bias[i];
                for (int j = 0; j < in; j++) acc += w[i * in + j] * x[t * in + j];
                y[t * out + i] = acc;
            }
        return y;
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(9);
        for (boolean withBias : new boolean[] {false, true}) {
            int tokens = 5, in = 7, out = 6;
            float[] x = gaussian(rnd, tokens * in, 1), w = gaussian(rnd, out * in, 0.5), dy = gaussian(rnd, tokens * out, 1);
            float[] bias = withBias ? gaussian(rnd, out, 1) : null, y = new float[tokens * out];
            DenseLinear.forward(y, x, w, bias, tokens, in, out, 2);
            double[] xd = widen(x), wd = widen(w), bd = withBias ? widen(bias) : null;
            assertClose("forward, bias " + withBias, y, reference(xd, wd, bd, tokens, in, out), FORWARD_TOLERANCE);

            float[] dx0 = gaussian(rnd, x.length, 1), dx = dx0.clone();
            float[] db0 = withBias ? gaussian(rnd, out, 1) : null, db = withBias ? db0.clone() : null;
            DenseLinear.backward(dx, db, dy, w, tokens, in, out, 2);
            assertGradient("dx, bias " + withBias, dx, dx0, numeric(xd, () -> dot(reference(xd, wd, bd, tokens, in, out), dy)));
            if (withBias) assertGradient("dbias", db, db0, numeric(bd, () -> dot(reference(xd, wd, bd, tokens, in, out), dy)));
        }
    }

    /** The engine's F32 matrix kernel on the same weight, token by token. */
    @Test
    void forwardIsTheEnginesProduct() {
        Random rnd = new Random(10);
        int tokens = 9, in = 70, out = 33;
        float[] x = gaussian(rnd, tokens * in, 1), w = gaussian(rnd, out * in, 0.5), y = new float[tokens * out];
        DenseLinear.forward(y, x, w, null, tokens, in, out, 2);
        MemorySegment bytes = MemorySegment.ofArray(new byte[4 * w.length]);
        for (int i = 0; i < w.length; i++) bytes.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i]);
        Matrix m = Matrices.dense(new Tensor("w", DType.F32, new long[] {out, in}, bytes));
        float[] row = new float[in], expected = new float[out];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(x, t * in, row, 0, in);
            m.matvec(row, expected, 0, out);
            for (int i = 0; i < out; i++) assertThat(y[t * out + i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }
}
