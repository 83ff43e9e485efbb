package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.assertClose;
import static ai.lort.kernel.KernelTesting.gaussian;
import static ai.lort.kernel.KernelTesting.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class TernaryLowRankMatrixTest {
    /** A random layer and its dense reconstruction {@code diag(s)·T + B·A}, as doubles. */
    record Layer(CompressedLayer layer, double[][] dense) {}

    static Layer randomLayer(Random rnd, int rows, int cols, int rank, boolean offHeap) {
        return randomLayer(rnd, rows, cols, rank, offHeap, true, Packing.T2_G64);
    }

    /** With {@code subnormals}, one half in ten of A and B is subnormal (the kernel's slow, exact decode). */
    static Layer randomLayer(Random rnd, int rows, int cols, int rank, boolean offHeap, boolean subnormals, Packing packing) {
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        float[] s = new float[rows];
        for (int r = 0; r < rows; r++) s[r] = 0.01f + rnd.nextFloat() * 0.05f;
        short[] a = halves(rnd, rank * cols, subnormals), b = halves(rnd, rows * rank, subnormals);
        ByteBuffer sb = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : s) sb.putFloat(v);
        var layer = new CompressedLayer("l", rows, cols, rank, packing, segment(sb.array(), offHeap),
                segment(bytes(a), offHeap), segment(bytes(b), offHeap), segment(packing.pack(t, rows, cols), offHeap));
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

    /** The kernels this machine runs (the table one needs 16 lanes; the decode one runs anywhere). */
    private static final boolean[] KERNELS = TernaryLowRankMatrix.TABLES ? new boolean[] {true, false} : new boolean[] {false};

    @Test
    void vectorMatchesScalarAndDenseReconstruction() {
        Random rnd = new Random(7);
        for (int cols : new int[] {1, 15, 63, 64, 65, 172, 896})
            for (int rows : new int[] {1, 3, 37, 128})
                for (int rank : new int[] {0, 1, 7, 17})
                    for (boolean subnormals : new boolean[] {false, true})
                        check(rnd, rows, cols, rank, rnd.nextBoolean(), subnormals,
                                rnd.nextBoolean() ? Packing.T2_G64 : Packing.T3_B5);
    }

    private static void check(Random rnd, int rows, int cols, int rank, boolean offHeap, boolean subnormals, Packing packing) {
        Layer l = randomLayer(rnd, rows, cols, rank, offHeap, subnormals, packing);
        if (rank > 0) assertThat(F16Matrix.plainHalves(l.layer().a()) && F16Matrix.plainHalves(l.layer().b())).isEqualTo(!subnormals);
        var m = (TernaryLowRankMatrix) Matrices.compressed(l.layer());
        float[] x = gaussian(rnd, cols);
        float[] ref = new float[rows], want = new float[rows];
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
        String what = rows + "x" + cols + " rank " + rank + " " + packing + (subnormals ? " with subnormals" : "");
        m.scalarMatvec(x, ref, 0, rows);
        assertClose(ref, want, bound, what + " scalar vs dense");
        int mid = rows / 3;
        for (boolean tables : KERNELS) {
            float[] got = new float[rows];
            m.matvec(x, got, 0, mid, tables);
            m.matvec(x, got, mid, rows, tables);
            assertClose(got, ref, bound, what + (tables ? " table" : " decode") + " kernel vs scalar");
        }
    }

    /** Every row is computed alike whatever range holds it: any split of the rows gives the same bits. */
    @Test
    void anySplitOfRowsGivesTheSameBits() throws Exception {
        Random rnd = new Random(3);
        Layer l = randomLayer(rnd, 301, 896, 16, true);
        var m = (TernaryLowRankMatrix) Matrices.compressed(l.layer());
        float[] x = gaussian(rnd, 896);
        for (boolean tables : KERNELS) {
            float[] whole = new float[301];
            m.matvec(x, whole, 0, 301, tables);
            for (int mid : new int[] {1, 16, 17, 150, 300}) {
                float[] split = new float[301];
                var f1 = CompletableFuture.runAsync(() -> m.matvec(x, split, 0, mid, tables));
                var f2 = CompletableFuture.runAsync(() -> m.matvec(x, split, mid, 301, tables));
                f1.get();
                f2.get();
                assertThat(split).as("split at %d, %s kernel", mid, tables ? "table" : "decode").isEqualTo(whole);
            }
        }
    }

    @Test
    void reportsItsBytesAndRejectsBadLayers() {
        Layer l = randomLayer(new Random(1), 3, 65, 2, false);
        Matrix m = Matrices.compressed(l.layer());
        // The file: f32 scales, A and B in FP16, 32 bytes of t2-g64 codes a row (65 columns: 2 groups).
        assertThat(((TernaryLowRankMatrix) m).fileBytes()).isEqualTo(3 * 4 + 2 * 65 * 2 + 3 * 2 * 2 + 3 * 32);
        // What a matvec reads: one 16-row block of codes (4 chunks of 18 columns, or 5 of 16), A, B as floats, scales, rows padded to 16.
        long codes = TernaryLowRankMatrix.TABLES ? 4 * 64 : 5 * 64;
        assertThat(m.weightBytes()).isEqualTo(codes + 2 * 65 * 2 + 16 * 2 * 4 + 16 * 4);
        CompressedLayer c = l.layer();
        var shortCodes = new CompressedLayer("x", 3, 65, 2, Packing.T2_G64, c.scales(), c.a(), c.b(), c.codes().asSlice(1));
        assertThatThrownBy(() -> Matrices.compressed(shortCodes)).hasMessageContaining("codes");
    }
}
