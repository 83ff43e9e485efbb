package ai.lort.bench;

import ai.lort.format.CompressedLayer;
import ai.lort.kernel.Bf16Matrix;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.TernaryLowRankMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The kernels of {@link KernelBench} timed in thread CPU time instead of wall time, side by side in
 * one process: on a shared machine (load 8-10 on 2 cores while this was written) wall time mostly
 * measures the scheduler, while CPU time still compares the kernels. Hot = one matrix reused;
 * cold = a rotation of copies totalling 256 MB. Prints the best and median ns per matvec.
 *
 * <p>Usage: bench/cputime.sh [rank] [rounds]
 */
public final class CpuTimeBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static float sink;

    public static void main(String[] args) {
        int rank = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.println("warm-up " + Matrices.warmUp() + " ms; rank " + rank + ", " + rounds + " rounds");
        System.out.printf(Locale.ROOT, "%-14s %-9s %-5s %10s %10s %8s %8s%n", "kernel", "shape", "mem", "best ns", "median ns", "GB/s", "vs bf16");
        // The first configuration is measured twice and its first report discarded: whichever
        // came first ran 2-3x slow (hot or cold, even after the kernels' warm-up and 3 s untimed),
        // presumably the JIT's threads still compiling and evicting our caches on the same core.
        boolean settle = true;
        for (String shape : new String[] {"896x896", "896x896", "4864x896", "896x4864"}) {
            int rows = KernelBench.rows(shape), cols = KernelBench.cols(shape);
            Random rnd = new Random(1);
            float[] x = new float[cols], y = new float[rows];
            for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
            CompressedLayer l = KernelBench.randomTernary(rnd, rows, cols, rank);
            MemorySegment bf = Arena.ofAuto().allocate(2L * rows * cols);
            for (long i = 0; i < (long) rows * cols; i++) bf.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian() * 0.02f) >>> 16));
            for (String mem : settle ? new String[] {"hot"} : new String[] {"hot", "cold"}) {
                Matrix[] ternary = copies(mem, KernelBench.ternaryBytes(rows, cols, rank), () -> new TernaryLowRankMatrix(
                        new CompressedLayer("l", rows, cols, rank, l.packing(), copy(l.scales()), copy(l.a()), copy(l.b()), copy(l.codes()))));
                Matrix[] bf16 = copies(mem, KernelBench.bf16Bytes(rows, cols), () -> new Bf16Matrix(copy(bf), rows, cols));
                long[] tt = new long[rounds], tb = new long[rounds], ts = new long[rounds], tbs = new long[rounds];
                // Untimed first, 3 s at least: the new shape takes paths the warm-up did not and
                // gets recompiled (a shorter pause left the first shape measured half-compiled).
                long until = System.nanoTime() + 3_000_000_000L;
                for (int r = 0; r < 2 || System.nanoTime() < until; r++) {
                    time(ternary, x, y, false);
                    time(bf16, x, y, false);
                    if (mem.equals("hot")) {
                        time(ternary, x, y, true);
                        time(bf16, x, y, true);
                    }
                }
                // Interleaved rounds: whatever the neighbours do hits every kernel alike.
                for (int r = 0; r < rounds; r++) {
                    tt[r] = time(ternary, x, y, false);
                    tb[r] = time(bf16, x, y, false);
                    if (mem.equals("hot") && r < 3) {
                        ts[r] = time(ternary, x, y, true);
                        tbs[r] = time(bf16, x, y, true);
                    }
                }
                long bf16Best = best(tb);
                if (settle) {
                    settle = false;
                    continue;
                }
                print("ternary", shape, mem, tt, KernelBench.ternaryBytes(rows, cols, rank), bf16Best);
                print("bf16", shape, mem, tb, KernelBench.bf16Bytes(rows, cols), bf16Best);
                if (mem.equals("hot")) {
                    print("ternaryScalar", shape, mem, Arrays.copyOf(ts, 3), KernelBench.ternaryBytes(rows, cols, rank), bf16Best);
                    print("bf16Scalar", shape, mem, Arrays.copyOf(tbs, 3), KernelBench.bf16Bytes(rows, cols), bf16Best);
                }
            }
        }
        if (sink == 42) System.out.println();
    }

    private static Matrix[] copies(String mem, long bytes, java.util.function.Supplier<Matrix> make) {
        Matrix[] ms = new Matrix[mem.equals("hot") ? 1 : (int) Math.max(2, KernelBench.COLD_BYTES / bytes)];
        for (int i = 0; i < ms.length; i++) ms[i] = make.get();
        return ms;
    }

    /** CPU ns per matvec over one pass through {@code ms} (at least 20 matvecs). */
    private static long time(Matrix[] ms, float[] x, float[] y, boolean scalar) {
        int n = scalar ? 1 : Math.max(20, ms.length);
        long t0 = MX.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
            Matrix m = ms[i % ms.length];
            if (!scalar) m.matvec(x, y, 0, m.rows());
            else if (m instanceof TernaryLowRankMatrix t) t.scalarMatvec(x, y, 0, m.rows());
            else ((Bf16Matrix) m).scalarMatvec(x, y, 0, m.rows());
            sink += y[0];
        }
        return (MX.getCurrentThreadCpuTime() - t0) / n;
    }

    private static long best(long[] t) { return Arrays.stream(t).min().orElseThrow(); }

    private static void print(String kernel, String shape, String mem, long[] t, long bytes, long bf16Best) {
        long[] s = t.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-14s %-9s %-5s %10d %10d %8.2f %8.2f%n", kernel, shape, mem, s[0], s[s.length / 2], bytes / (double) s[0], bf16Best / (double) s[0]);
    }

    private static MemorySegment copy(MemorySegment s) {
        return Arena.global().allocate(Math.max(1, s.byteSize()), 64).copyFrom(s).asSlice(0, s.byteSize());
    }
}
