package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.assertClose;
import static ai.lort.kernel.KernelTesting.gaussian;
import static ai.lort.kernel.KernelTesting.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.format.CompressedLayer;
import ai.lort.pack.TernaryPacker;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class TernaryLowRankMatrixTest {
    /** A random layer and its dense reconstruction {@code diag(s)·T + B·A}, as doubles. */
    record Layer(CompressedLayer layer, double[][] dense) {}

    static Layer randomLayer(Random rnd, int rows, int cols, int rank, boolean offHeap) {
        return randomLayer(rnd, rows, cols, rank, offHeap, true);
    }

    /** With {@code subnormals}, one half in ten of A and B is subnormal (the kernel's slow, exact decode). */
    static Layer randomLayer(Random rnd, int rows, int cols, int rank, boolean offHeap, boolean subnormals) {
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        float[] s = new float[rows];
        for (int r = 0; r < rows; r++) s[r] = 0.01f + rnd.nextFloat() * 0.05f;
        short[] a = halves(rnd, rank * cols, subnormals), b = halves(rnd, rows * rank, subnormals);
        ByteBuffer sb = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : s) sb.putFloat(v);
        var layer = new CompressedLayer("l", rows, cols, rank, CompressedLayer.PACKING_T2_G64, segment(sb.array(), offHeap),
                segment(bytes(a), offHeap), segment(bytes(b), offHeap), segment(TernaryPacker.pack(t, rows, cols), offHeap));
        double[][] dense = new double[rows][cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                double v = (double) s[r] * t[r * cols + c];
                for (int j = 0; j < rank; j++) v += (double) Float.float16ToFloat(b[r * rank + j]) * Float.float16ToFloat(a[j * cols + c]);
                dense[r][c] = v;
            }
        return new Layer(layer, dense);
    }

    private static short[] halves(Random rnd, int n, boolean subnormals) {
        short[] h = new short[n];
        for (int i = 0; i < n; i++) {
            h[i] = subnormals && rnd.nextInt(10) == 0 ? (short) (rnd.nextInt(0x400) | (rnd.nextBoolean() ? 0x8000 : 0))
                    : Float.floatToFloat16((float) rnd.nextGaussian() * 0.1f);
            if (!subnormals && (h[i] & 0x7C00) == 0) h[i] = 0; // flush the rare subnormal Gaussian
        }
        if (subnormals && n > 0) h[n - 1] = 0x0123; // at least one, so the exact path is taken
        return h;
    }

    private static byte[] bytes(short[] h) {
        ByteBuffer bb = ByteBuffer.allocate(2 * h.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : h) bb.putShort(v);
        return bb.array();
    }

    @Test
    void vectorMatchesScalarAndDenseReconstruction() {
        Random rnd = new Random(7);
        for (int cols : new int[] {1, 63, 64, 65, 172, 896})
            for (int rows : new int[] {1, 3, 128})
                for (int rank : new int[] {0, 1, 7, 17})
                    for (boolean subnormals : new boolean[] {false, true})
                        check(rnd, rows, cols, rank, rnd.nextBoolean(), subnormals);
    }

    private static void check(Random rnd, int rows, int cols, int rank, boolean offHeap, boolean subnormals) {
        Layer l = randomLayer(rnd, rows, cols, rank, offHeap, subnormals);
        if (rank > 0) assertThat(F16Matrix.plainHalves(l.layer().a()) && F16Matrix.plainHalves(l.layer().b())).isEqualTo(!subnormals);
        var m = (TernaryLowRankMatrix) Matrices.compressed(l.layer());
        float[] x = gaussian(rnd, cols);
        float[] got = new float[rows], ref = new float[rows], want = new float[rows];
        double[] bound = new double[rows];
        for (int r = 0; r < rows; r++) {
            double acc = 0, abs = 0;
            for (int c = 0; c < cols; c++) {
                acc += l.dense()[r][c] * x[c];
                abs += Math.abs(l.dense()[r][c] * x[c]);
            }
            want[r] = (float) acc;
            // The kernel computes Σ code·x − Σ x: its rounding scales with the scale times Σ|x|.
            for (int c = 0; c < cols; c++) abs += 3 * Math.abs(x[c]) * 0.06;
            bound[r] = abs * 4;
        }
        int mid = rows / 3;
        m.matvec(x, got, 0, mid);
        m.matvec(x, got, mid, rows);
        m.scalarMatvec(x, ref, 0, rows);
        String what = rows + "x" + cols + " rank " + rank + (subnormals ? " with subnormals" : "");
        assertClose(got, ref, bound, what + " vector vs scalar");
        assertClose(ref, want, bound, what + " scalar vs dense");
    }

    @Test
    void threadsOnDisjointRangesAgreeWithOneCall() throws Exception {
        Random rnd = new Random(3);
        Layer l = randomLayer(rnd, 301, 896, 16, true);
        Matrix m = Matrices.compressed(l.layer());
        float[] x = gaussian(rnd, 896), whole = new float[301], split = new float[301];
        m.matvec(x, whole, 0, 301);
        for (int round = 0; round < 20; round++) {
            var f1 = CompletableFuture.runAsync(() -> m.matvec(x, split, 0, 150));
            var f2 = CompletableFuture.runAsync(() -> m.matvec(x, split, 150, 301));
            f1.get();
            f2.get();
            // Not bit-equal: reduceLanes(ADD) may sum in another order once C2 compiles the loop.
            for (int r = 0; r < 301; r++) assertThat(split[r]).as("row %d", r).isCloseTo(whole[r], org.assertj.core.data.Offset.offset(1e-5f * (1 + Math.abs(whole[r]))));
        }
    }

    @Test
    void reportsItsBytesAndRejectsBadLayers() {
        Layer l = randomLayer(new Random(1), 3, 65, 2, false);
        Matrix m = Matrices.compressed(l.layer());
        assertThat(m.weightBytes()).isEqualTo(3 * 4 + 2 * 65 * 2 + 3 * 2 * 2 + 3 * 32);
        CompressedLayer c = l.layer();
        var wrongPacking = new CompressedLayer("x", 3, 65, 2, "t2-g32", c.scales(), c.a(), c.b(), c.codes());
        assertThatThrownBy(() -> Matrices.compressed(wrongPacking)).hasMessageContaining("t2-g32");
        var shortCodes = new CompressedLayer("x", 3, 65, 2, "t2-g64", c.scales(), c.a(), c.b(), c.codes().asSlice(1));
        assertThatThrownBy(() -> Matrices.compressed(shortCodes)).hasMessageContaining("codes");
    }
}
