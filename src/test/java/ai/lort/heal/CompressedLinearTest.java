package ai.lort.heal;

import static ai.lort.heal.GradCheck.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.pack.Hadamard;
import ai.lort.util.Half;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class CompressedLinearTest {
    /** A layer's values in double; {@code delta} is added to diag(s)·T (zero: it exists to differentiate by). */
    private record Ref(int tokens, int rows, int cols, int rank, double[] rotation, double[] codes,
                       double[] s, double[] a, double[] b, double[] bias, double[] delta) {
        /** {@code y = (diag(s)·T + Δ + B·A)·R·x + bias}, from the definition. */
        double[] forward(double[] x) {
            double[] y = new double[tokens * rows];
            for (int t = 0; t < tokens; t++) {
                double[] z = new double[cols];
                for (int i = 0; i < cols; i++)
                    for (int j = 0; j < cols; j++) z[i] += (rotation == null ? (i == j ? 1 : 0) : rotation[i * cols + j]) * x[t * cols + j];
                double[] az = new double[rank];
                for (int r = 0; r < rank; r++) for (int j = 0; j < cols; j++) az[r] += a[r * cols + j] * z[j];
                for (int i = 0; i < rows; i++) {
                    double acc = bias == null ? 0 : bias[i];
                    for (int j = 0; j < cols; j++) acc += (s[i] * codes[i * cols + j] + delta[i * cols + j]) * z[j];
                    for (int r = 0; r < rank; r++) acc += b[i * rank + r] * az[r];
                    y[t * rows + i] = acc;
                }
            }
            return y;
        }
    }

    /**
     * {@link Hadamard}'s R = H·D from its documented definition, independently of its transform:
     * per block of b inputs, {@code H_ij = (−1)^popcount(i & j) / √b} (Sylvester order), D the
     * signs.
     */
    static double[] hadamardMatrix(Hadamard h) {
        int n = h.cols(), block = h.block();
        float[] signs = h.signVector();
        double[] r = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i / block * block; j < (i / block + 1) * block; j++)
                r[i * n + j] = (Integer.bitCount((i % block) & (j % block)) % 2 == 0 ? 1 : -1) / Math.sqrt(block) * signs[j];
        return r;
    }

    static float[] ternary(Random rnd, int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(3) - 1;
        return t;
    }

    /** {tokens, rows, cols, rank, rotated, bias}: rank 0 and more, rotation on (blocks of 4 and 16) and off, bias on and off. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random rnd = new Random(11);
        for (int[] c : new int[][] {{5, 7, 12, 0, 0, 0}, {5, 7, 12, 3, 1, 1}, {3, 9, 16, 2, 1, 0}, {4, 6, 10, 3, 0, 1}}) {
            int tokens = c[0], m = c[1], n = c[2], r = c[3];
            boolean rotated = c[4] == 1, withBias = c[5] == 1;
            String what = java.util.Arrays.toString(c);
            Hadamard rotation = rotated ? Hadamard.of(n, 5 + n) : null;
            float[] codes = ternary(rnd, m * n);
            byte[] codeBytes = new byte[codes.length];
            for (int i = 0; i < codes.length; i++) codeBytes[i] = (byte) codes[i];
            var layer = new CompressedLinear(m, n, r, codeBytes, rotation);
            var p = new CompressedLinear.Params(gaussian(rnd, m, 0.5), gaussian(rnd, r * n, 0.5), gaussian(rnd, m * r, 0.5),
                    withBias ? gaussian(rnd, m, 1) : null);
            float[] x = gaussian(rnd, tokens * n, 1), dy = gaussian(rnd, tokens * m, 1), y = new float[tokens * m];
            var saved = layer.activations(tokens + 1);
            layer.forward(y, saved, x, p, tokens, 2);

            double[] xd = widen(x);
            var ref = new Ref(tokens, m, n, r, rotated ? hadamardMatrix(rotation) : null, widen(codes), widen(p.scales()),
                    widen(p.a()), widen(p.b()), withBias ? widen(p.bias()) : null, new double[m * n]);
            assertClose("forward " + what, y, ref.forward(xd), FORWARD_TOLERANCE);

            var before = new CompressedLinear.Params(gaussian(rnd, m, 1), gaussian(rnd, r * n, 1), gaussian(rnd, m * r, 1),
                    withBias ? gaussian(rnd, m, 1) : null);
            var grads = new CompressedLinear.Params(before.scales().clone(), before.a().clone(), before.b().clone(),
                    withBias ? before.bias().clone() : null);
            float[] dx0 = gaussian(rnd, x.length, 1), dx = dx0.clone(), dw0 = gaussian(rnd, m * n, 1), dw = dw0.clone();
            float[] scratch = new float[layer.scratchFloats(tokens)];
            layer.backward(dx, grads, dw, dy, saved, p, scratch, tokens, 2);
            DoubleSupplier loss = () -> dot(ref.forward(xd), dy);
            assertGradient("dx " + what, dx, dx0, numeric(xd, loss));
            assertGradient("ds " + what, grads.scales(), before.scales(), numeric(ref.s(), loss));
            assertGradient("dW " + what, dw, dw0, numeric(ref.delta(), loss));
            if (r > 0) {
                assertGradient("dA " + what, grads.a(), before.a(), numeric(ref.a(), loss));
                assertGradient("dB " + what, grads.b(), before.b(), numeric(ref.b(), loss));
            }
            if (withBias) assertGradient("dbias " + what, grads.bias(), before.bias(), numeric(ref.bias(), loss));

            // Without dW and without a bias gradient, the rest is the same.
            float[] dxAgain = dx0.clone();
            var gradsAgain = new CompressedLinear.Params(before.scales().clone(), before.a().clone(), before.b().clone(), null);
            layer.backward(dxAgain, gradsAgain, null, dy, saved, p, scratch, tokens, 1);
            assertThat(dxAgain).as("dx without dW " + what).isEqualTo(dx);
            assertThat(gradsAgain.scales()).isEqualTo(grads.scales());
        }
    }

    /**
     * A layer encoded as the writer stores it, run by the engine's kernel token by token, and by
     * {@link CompressedLinear#of} with {@link CompressedLinear#params}: rotated with float16
     * scales and trit packing, and plain with float32 scales and 2-bit packing.
     */
    @Test
    void forwardIsTheEnginesKernel() {
        Random rnd = new Random(12);
        int tokens = 6, rows = 40, cols = 96, rank = 4;
        for (boolean rotated : new boolean[] {true, false}) {
            byte[] t = new byte[rows * cols];
            for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
            float[] s = new float[rows];
            for (int i = 0; i < rows; i++) s[i] = 0.05f + rnd.nextFloat() * 0.1f;
            float[] a = gaussian(rnd, rank * cols, 1), b = gaussian(rnd, rows * rank, 0.1), bias = gaussian(rnd, rows, 0.1);
            CompressedLayer stored = rotated
                    ? CompressedLayer.encode("l", rows, cols, rank, Packing.T3_B5, ScaleEncoding.ROW_F16, s, t, a, b, Hadamard.of(cols, 77))
                    : CompressedLayer.encode("l", rows, cols, rank, Packing.T2_G64, ScaleEncoding.ROW_F32, s, t, a, b, null);
            var layer = CompressedLinear.of(stored);
            var p = CompressedLinear.params(stored, bias);
            assertThat(p.a()).isEqualTo(Half.roundToHalf(a));
            assertThat(p.b()).isEqualTo(Half.roundToHalf(b));
            assertThat(p.scales()).isEqualTo(rotated ? Half.roundToHalf(s) : s);

            float[] x = gaussian(rnd, tokens * cols, 1), y = new float[tokens * rows];
            layer.forward(y, layer.activations(tokens), x, p, tokens, 2);
            Matrix kernel = Matrices.compressed(stored);
            float[] row = new float[cols], expected = new float[rows];
            for (int tok = 0; tok < tokens; tok++) {
                System.arraycopy(x, tok * cols, row, 0, cols);
                kernel.matvec(row, expected, 0, rows);
                for (int i = 0; i < rows; i++)
                    assertThat(y[tok * rows + i]).as("rotated %s token %d row %d", rotated, tok, i)
                            .isCloseTo(expected[i] + bias[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
}
