package ai.lort.kernel;

import static ai.lort.kernel.KernelTesting.assertClose;
import static ai.lort.kernel.KernelTesting.gaussian;
import static ai.lort.kernel.KernelTesting.segment;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.util.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseMatrixTest {
    static final int[] ROWS = {1, 3, 17};
    static final int[] COLS = {1, 7, 15, 16, 17, 63, 64, 65, 172, 896};

    @Test
    void vectorMatchesScalarForEveryDtypeAndOddShape() {
        Random rnd = new Random(42);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16})
            for (int rows : ROWS)
                for (int cols : COLS)
                    for (boolean offHeap : new boolean[] {false, true}) check(rnd, dtype, rows, cols, offHeap);
    }

    /** Gaussian weights in {@code dtype}; the first is {@code first} when not null (e.g. a subnormal). */
    static Tensor tensor(Random rnd, DType dtype, int rows, int cols, boolean offHeap, Float first) {
        float[] w = gaussian(rnd, rows * cols);
        if (first != null) w[0] = first;
        ByteBuffer buf = ByteBuffer.allocate(rows * cols * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : w) {
            switch (dtype) {
                case F32 -> buf.putFloat(v);
                case F16 -> buf.putShort(Half.floatToF16(v));
                default -> buf.putShort(Half.floatToBf16(v));
            }
        }
        return new Tensor("w", dtype, new long[] {rows, cols}, segment(buf.array(), offHeap));
    }

    private static void check(Random rnd, DType dtype, int rows, int cols, boolean offHeap) {
        Tensor t = tensor(rnd, dtype, rows, cols, offHeap, null);
        Matrix m = Matrices.dense(t);
        assertThat(m.getClass().getSimpleName()).isEqualTo(switch (dtype) { case F32 -> "F32Matrix"; case F16 -> "F16Matrix"; default -> "Bf16Matrix"; });
        assertThat(m.weightBytes()).isEqualTo((long) rows * cols * dtype.size());

        float[] x = gaussian(rnd, cols);
        float[] want = new float[rows], got = new float[rows], ref = new float[rows];
        double[] bound = new double[rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                double wc = t.getFloat((long) r * cols + c);
                want[r] += (float) (wc * x[c]);
                bound[r] += Math.abs(wc * x[c]);
            }
        // Two disjoint ranges, as two threads would call it.
        int mid = rows / 2;
        m.matvec(x, got, 0, mid);
        m.matvec(x, got, mid, rows);
        switch (m) {
            case F32Matrix f -> f.scalarMatvec(x, ref, 0, rows);
            case F16Matrix f -> f.scalarMatvec(x, ref, 0, rows);
            case Bf16Matrix f -> f.scalarMatvec(x, ref, 0, rows);
            default -> throw new AssertionError(m);
        }
        String what = dtype + " " + rows + "x" + cols + (offHeap ? " off-heap" : " heap");
        assertClose(got, ref, bound, what + " vector vs scalar");
        assertClose(ref, want, bound, what + " scalar vs definition");
    }

    /**
     * The batched product against the scalar reference, token by token, for awkward shapes (whole
     * vectors and not, one and several column slices and row blocks), token counts around the
     * tile's 8, both F16 decodes; and row ranges cut anywhere give the same bits as one call.
     */
    @Test
    void matmulMatchesScalarAndDoesNotDependOnRowRanges() {
        Random rnd = new Random(7);
        int[][] shapes = {{1, 1}, {3, 17}, {17, 65}, {6, 513}, {130, 1029}};
        int[] tokens = {1, 3, 8, 9, 17};
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16})
            for (int[] shape : shapes)
                for (int n : shape[0] > 100 ? new int[] {17} : tokens) {
                    boolean offHeap = n % 2 == 0, subnormal = dtype == DType.F16 && n % 3 == 0;
                    checkMatmul(rnd, tensor(rnd, dtype, shape[0], shape[1], offHeap, subnormal ? 1e-6f : null), n);
                }
    }

    /**
     * The same for batches of {@link DenseGemm#MIN_TOKENS} tokens and more (the packed product):
     * token counts on and off its 32-token micro-panels, columns off the vector length and across
     * k slices, rows off its 12-row tiles and across row blocks.
     */
    @Test
    void largeBatchMatmulMatchesScalarAndDoesNotDependOnRowRanges() {
        Random rnd = new Random(11);
        int[][] shapes = {{5, 17}, {13, 300}, {200, 530}};
        int[] tokens = {32, 33, 100, 256};
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16})
            for (int[] shape : shapes)
                for (int n : shape[0] > 100 ? new int[] {33} : tokens) {
                    boolean offHeap = n % 2 == 0, subnormal = dtype == DType.F16 && n % 3 == 0;
                    checkMatmul(rnd, tensor(rnd, dtype, shape[0], shape[1], offHeap, subnormal ? 1e-6f : null), n);
                }
    }

    private static void checkMatmul(Random rnd, Tensor t, int n) {
        Matrix m = Matrices.dense(t);
        int rows = m.rows(), cols = m.cols();
        String what = t.dtype() + " " + rows + "x" + cols + " n=" + n;
        float[][] xs = new float[n][], ys = new float[n][rows], split = new float[n][rows];
        for (int j = 0; j < n; j++) xs[j] = gaussian(rnd, cols);
        m.matmul(xs, ys, n, 0, rows);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = t.getFloat(i);
        for (int j = 0; j < n; j++) {
            float[] ref = new float[rows];
            double[] bound = new double[rows];
            switch (m) {
                case F32Matrix f -> f.scalarMatvec(xs[j], ref, 0, rows);
                case F16Matrix f -> f.scalarMatvec(xs[j], ref, 0, rows);
                case Bf16Matrix f -> f.scalarMatvec(xs[j], ref, 0, rows);
                default -> throw new AssertionError(m);
            }
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) bound[r] += Math.abs(w[r * cols + c] * xs[j][c]);
            assertClose(ys[j], ref, bound, what + " token " + j);
        }
        // Odd and even ranges, as threads would get them: a row's bits must not change.
        int a = Math.min(rows, 1), b = Math.min(rows, rows / 2 + 2);
        m.matmul(xs, split, n, 0, a);
        m.matmul(xs, split, n, a, b);
        m.matmul(xs, split, n, b, rows);
        for (int j = 0; j < n; j++) assertThat(split[j]).as(what + " split rows, token " + j).isEqualTo(ys[j]);
    }

    /** Every finite half (subnormals, zeros, extremes) through the exact F16 decode of the kernel. */
    @Test
    void f16KernelDecodesEveryFiniteHalf() {
        int cols = 64, rows = 65536 / cols;
        ByteBuffer buf = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 65536; i++) buf.putShort((short) i);
        var m = new F16Matrix(segment(buf.array(), true), rows, cols);
        assertThat(F16Matrix.plainHalves(segment(buf.array(), false))).isFalse();
        float[] x = new float[cols], y = new float[rows];
        for (int c = 0; c < cols; c++) {
            java.util.Arrays.fill(x, 0);
            x[c] = 1;
            m.matvec(x, y, 0, rows);
            for (int r = 0; r < rows; r++) {
                float want = Float.float16ToFloat((short) (r * cols + c));
                if (Float.isFinite(want)) assertThat(y[r]).as("half %04x", r * cols + c).isEqualTo(want);
            }
        }
    }

    /** Every zero and normal half through the fast decode, which the scan picks for such weights. */
    @Test
    void f16FastDecodeIsExactForZeroAndNormalHalves() {
        int cols = 64;
        short[] plain = new short[65536];
        int n = 0;
        for (int i = 0; i < 65536; i++) {
            int em = i & 0x7FFF;
            if (em == 0 || (em >= 0x400 && em < 0x7C00)) plain[n++] = (short) i;
        }
        int rows = n / cols;
        ByteBuffer buf = ByteBuffer.allocate(2 * rows * cols).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) buf.putShort(plain[i]);
        var w = segment(buf.array(), true);
        assertThat(F16Matrix.plainHalves(w)).isTrue();
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) {
            java.util.Arrays.fill(x, 0);
            x[c] = 1;
            for (int r = 0; r < rows; r++)
                assertThat(F16Matrix.dotPlain(w, 2L * r * cols, x, 0, cols)).isEqualTo(Float.float16ToFloat(plain[r * cols + c]));
        }
    }

    @Test
    void rejectsWrongSizesAndTypes() {
        Tensor t = new Tensor("w", DType.BF16, new long[] {2, 3}, segment(new byte[10], false));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Matrices.dense(t)).isInstanceOf(IllegalArgumentException.class);
        Tensor i8 = new Tensor("w", DType.I8, new long[] {2, 3}, segment(new byte[6], false));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Matrices.dense(i8)).hasMessageContaining("I8");
    }
}
