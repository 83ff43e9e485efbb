package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import ai.lort.util.Half;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The CUDA ternary kernel's indexing, transcribed to Java, against the scalar t2-g64 reference. */
class TernaryKernelTranscriptTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A random layer W = diag(s)·T + B·A with its packed codes, and a batch of inputs. */
    record Case(int rows, int cols, int rank, int n, byte[] t, byte[] packed, float[] scales, short[] a, short[] b, float[] x) {
        static Case random(Random rnd, int rows, int cols, int rank, int n) {
            byte[] t = new byte[rows * cols];
            for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
            float[] s = new float[rows];
            for (int i = 0; i < rows; i++) s[i] = 0.01f + rnd.nextFloat() * 0.05f;
            short[] a = halves(rnd, rank * cols, 0.1f), b = halves(rnd, rows * rank, 0.1f);
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            return new Case(rows, cols, rank, n, t, TernaryPacker.pack(t, rows, cols), s, a, b, x);
        }

        private static short[] halves(Random rnd, int count, float std) {
            short[] h = new short[count];
            for (int i = 0; i < count; i++) h[i] = Half.floatToF16((float) rnd.nextGaussian() * std);
            return h;
        }

        /** Scalar reference in double: decode each code with TernaryPacker.get, A and B from FP16. */
        float[] reference() {
            float[] y = new float[n * rows];
            int rb = TernaryPacker.rowBytes(cols);
            for (int tok = 0; tok < n; tok++) {
                double[] u = new double[rank];
                for (int j = 0; j < rank; j++)
                    for (int c = 0; c < cols; c++) u[j] += Half.f16ToFloat(a[j * cols + c]) * (double) x[tok * cols + c];
                for (int r = 0; r < rows; r++) {
                    double d = 0, lr = 0;
                    for (int c = 0; c < cols; c++) d += TernaryPacker.get(packed, r * rb, c) * (double) x[tok * cols + c];
                    for (int j = 0; j < rank; j++) lr += Half.f16ToFloat(b[r * rank + j]) * u[j];
                    y[tok * rows + r] = (float) (scales[r] * d + lr);
                }
            }
            return y;
        }

        float[] transcript() {
            float[] y = new float[n * rows];
            TernaryKernelTranscript.ternary(MemorySegment.ofArray(packed), scales, a, b, x, y, rows, cols, rank, n);
            return y;
        }

        float[] fusedTranscript() {
            float[] y = new float[n * rows];
            TernaryKernelTranscript.ternaryFused(MemorySegment.ofArray(packed), scales, a, b, x, y, rows, cols, rank, n);
            return y;
        }

        CompressedLayer layer(Arena arena) {
            MemorySegment sc = arena.allocate(4L * rows), as = arena.allocate(2L * a.length), bs = arena.allocate(2L * b.length);
            for (int i = 0; i < rows; i++) sc.setAtIndex(F32, i, scales[i]);
            for (int i = 0; i < a.length; i++) as.setAtIndex(F16, i, a[i]);
            for (int i = 0; i < b.length; i++) bs.setAtIndex(F16, i, b[i]);
            MemorySegment codes = arena.allocate(packed.length);
            codes.copyFrom(MemorySegment.ofArray(packed));
            return new CompressedLayer("test", rows, cols, rank, Packing.T2_G64, sc, as, bs, codes);
        }
    }

    // cols: under a group, one group, partial tails, several words per lane, Qwen2.5-0.5B's 896.
    private static final int[][] SHAPES = {
        {1, 1, 0, 1}, {3, 63, 1, 1}, {9, 64, 8, 1}, {17, 65, 33, 2}, {64, 172, 16, 1},
        {33, 896, 32, 3}, {8, 2048 + 44, 64, 1}, {5, 4864, 40, 1},
    };

    private static void assertClose(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-4f * Math.max(1f, Math.abs(expected[i]));
            assertThat(actual[i]).as("%s y[%d]", what, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol));
        }
    }

    @Test
    void transcriptMatchesTheScalarReference() {
        Random rnd = new Random(6);
        for (int[] s : SHAPES) {
            Case c = Case.random(rnd, s[0], s[1], s[2], s[3]);
            assertClose(c.transcript(), c.reference(), "rows " + s[0] + " cols " + s[1] + " rank " + s[2] + " n " + s[3]);
        }
    }

    @Test
    void fusedTranscriptMatchesTheScalarReference() {
        Random rnd = new Random(8);
        for (int[] s : SHAPES) {
            Case c = Case.random(rnd, s[0], s[1], s[2], s[3]);
            assertClose(c.fusedTranscript(), c.reference(), "fused, rows " + s[0] + " cols " + s[1] + " rank " + s[2] + " n " + s[3]);
        }
        // more rows than one block of 32, so several blocks each compute u
        Case c = Case.random(rnd, 100, 192, 40, 2);
        assertClose(c.fusedTranscript(), c.reference(), "fused, 4 blocks");
    }

    /** The t3-b5 row reader (trit_row) and the binary16 scales' path, both kernels, against the ternary values themselves. */
    @Test
    void base3TranscriptsMatchTheReference() {
        Random rnd = new Random(9);
        for (int[] s : SHAPES) {
            Case c = Case.random(rnd, s[0], s[1], s[2], s[3]);
            MemorySegment trits = MemorySegment.ofArray(TritPacker.pack(c.t(), c.rows(), c.cols()));
            float[] expected = c.reference(), y = new float[c.n() * c.rows()], fused = new float[c.n() * c.rows()];
            TernaryKernelTranscript.ternary(true, trits, c.scales(), c.a(), c.b(), c.x(), y, c.rows(), c.cols(), c.rank(), c.n());
            TernaryKernelTranscript.ternaryFused(true, trits, c.scales(), c.a(), c.b(), c.x(), fused, c.rows(), c.cols(), c.rank(), c.n());
            String what = "t3-b5, rows " + s[0] + " cols " + s[1] + " rank " + s[2] + " n " + s[3];
            assertClose(y, expected, what);
            assertClose(fused, expected, "fused " + what);
        }
    }

    @Test
    void base3TranscriptSeesEachWeightInItsDocumentedPlace() {
        // columns in every digit position of a byte, the last (padded) byte, and a row not starting on a word
        int rows = 3, cols = 131;
        for (int col : new int[] {0, 1, 4, 5, 9, 64, 127, 129, 130}) {
            for (int sign : new int[] {1, -1}) {
                byte[] t = new byte[rows * cols];
                t[cols + col] = (byte) sign;  // row 1, whose 27 bytes start at byte 27
                float[] x = new float[cols];
                x[col] = 1f;
                float[] y = new float[rows];
                TernaryKernelTranscript.ternary(true, MemorySegment.ofArray(TritPacker.pack(t, rows, cols)), new float[] {2f, 3f, 5f},
                        new short[0], new short[0], x, y, rows, cols, 0, 1);
                assertThat(y).as("column %d, weight %d", col, sign).containsExactly(0f, 3f * sign, 0f);
            }
        }
    }

    @Test
    void transcriptSeesEachWeightInItsDocumentedPlace() {
        // One +1 weight at a time, x = one-hot at the same column: y must be exactly s for that row only.
        int rows = 2, cols = 130;
        for (int col : new int[] {0, 1, 15, 16, 17, 47, 63, 64, 100, 129}) {
            byte[] t = new byte[rows * cols];
            t[cols + col] = 1;  // row 1
            float[] x = new float[cols];
            x[col] = 1f;
            float[] y = new float[rows];
            TernaryKernelTranscript.ternary(MemorySegment.ofArray(TernaryPacker.pack(t, rows, cols)), new float[] {2f, 3f},
                    new short[0], new short[0], x, y, rows, cols, 0, 1);
            assertThat(y).as("column %d", col).containsExactly(0f, 3f);
        }
    }

    @Test
    void warpSumAddsAllLanes() {
        float[] lanes = new float[32];
        for (int i = 0; i < 32; i++) lanes[i] = i;
        assertThat(TernaryKernelTranscript.warpSum(lanes)).isEqualTo(496f);
    }

    @Test
    void transcriptMatchesTheCpuKernel() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : SHAPES) {
                Case c = Case.random(rnd, s[0], s[1], s[2], 1);
                Matrix m;
                try {
                    m = Matrices.compressed(c.layer(arena));
                } catch (UnsupportedOperationException e) {
                    assumeTrue(false, "skipped: the CPU ternary kernel (Matrices.compressed) is not on this branch yet");
                    return;
                }
                float[] y = new float[c.rows];
                m.matvec(c.x, y, 0, c.rows);
                assertClose(c.transcript(), y, "CPU kernel, rows " + s[0] + " cols " + s[1]);
            }
        }
    }
}
