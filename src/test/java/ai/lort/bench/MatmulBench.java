package ai.lort.bench;

import ai.lort.kernel.Bf16Matrix;
import ai.lort.kernel.F32Matrix;
import ai.lort.kernel.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One single-threaded batched product ({@link Matrix#matmul}) of a dense matrix and {@code tokens}
 * inputs, as prompt prefill and calibration run it: the register-tiled kernel ({@code batched})
 * against the matvec per token over L2-sized row blocks that it replaced ({@code matvecLoop},
 * {@link Matrix}'s default). BenchMain reprints the results in GFLOP/s (2 · rows · cols · tokens).
 *
 * <p>{@link #main} times the same pairs in thread CPU time, interleaved in one JVM, for a shared
 * machine where wall time mostly measures the scheduler (see bench/README.md): bench/matmul.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatmulBench {
    @Param({"896x896", "4864x896", "896x4864"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"64"})
    public int tokens;

    private Matrix matrix, matvecLoop;
    private float[][] xs, ys;

    @Setup
    public void setup() {
        int rows = KernelBench.rows(shape), cols = KernelBench.cols(shape);
        Random rnd = new Random(1);
        boolean f32 = dtype.equals("f32");
        MemorySegment w = Arena.ofAuto().allocate((f32 ? 4L : 2L) * rows * cols, 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) rnd.nextGaussian() * 0.02f;
            if (f32) w.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            else w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        matrix = f32 ? new F32Matrix(w, rows, cols) : new Bf16Matrix(w, rows, cols);
        matvecLoop = new Matrix() { // only matvec overridden: matmul is the interface's per-token loop
            @Override public int rows() { return rows; }
            @Override public int cols() { return cols; }
            @Override public long weightBytes() { return matrix.weightBytes(); }
            @Override public void matvec(float[] x, float[] y, int rowFrom, int rowTo) { matrix.matvec(x, y, rowFrom, rowTo); }
        };
        xs = new float[tokens][cols];
        ys = new float[tokens][rows];
        for (float[] x : xs) for (int c = 0; c < cols; c++) x[c] = (float) rnd.nextGaussian();
    }

    @Benchmark
    public float[][] batched() {
        matrix.matmul(xs, ys, tokens, 0, matrix.rows());
        return ys;
    }

    @Benchmark
    public float[][] matvecLoop() {
        matvecLoop.matmul(xs, ys, tokens, 0, matrix.rows());
        return ys;
    }

    /** Best thread CPU time of each kind over {@code rounds} interleaved rounds, after 5 untimed. */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        System.out.println("warm-up " + ai.lort.kernel.Matrices.warmUp() + " ms; " + rounds + " rounds");
        System.out.printf(Locale.ROOT, "%-9s %-5s %6s %16s %16s %8s%n", "shape", "dtype", "tokens", "batched GFLOP/s", "matvec GFLOP/s", "speedup");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String shape : new String[] {"896x896", "4864x896", "896x4864"})
            for (String dtype : new String[] {"f32", "bf16"}) {
                MatmulBench b = new MatmulBench();
                b.shape = shape;
                b.dtype = dtype;
                b.tokens = 64;
                b.setup();
                long batched = Long.MAX_VALUE, loop = Long.MAX_VALUE;
                for (int r = -5; r < rounds; r++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    b.batched();
                    long t1 = mx.getCurrentThreadCpuTime();
                    b.matvecLoop();
                    long t2 = mx.getCurrentThreadCpuTime();
                    if (r >= 0) {
                        batched = Math.min(batched, t1 - t0);
                        loop = Math.min(loop, t2 - t1);
                    }
                }
                double flops = flops(shape, b.tokens);
                System.out.printf(Locale.ROOT, "%-9s %-5s %6d %16.2f %16.2f %7.2fx%n", shape, dtype, b.tokens, flops / batched, flops / loop, (double) loop / batched);
            }
    }

    /** Floating-point operations of one product: a multiply and an add per weight and token. */
    static double flops(String shape, int tokens) {
        return 2.0 * KernelBench.rows(shape) * KernelBench.cols(shape) * tokens;
    }
}
