package ai.lort.bench;

import ai.lort.kernel.Bf16Matrix;
import ai.lort.kernel.F16Matrix;
import ai.lort.kernel.F32Matrix;
import ai.lort.kernel.Matrix;
import ai.lort.util.Half;
import ai.lort.util.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
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
 * inputs, as prompt prefill and calibration run it: {@code batched} is the matrix's own matmul
 * (from 32 tokens the packed product, DenseGemm), {@code tiled} the same product in calls of 16
 * tokens, which stay on the 2-row × 8-token register tile (DenseBatch) that ran every batch before
 * (its cost per token does not depend on the batch size), {@code matvecLoop} a matvec per token
 * over L2-sized row blocks ({@link Matrix}'s default). BenchMain reprints the results in GFLOP/s
 * (2 · rows · cols · tokens).
 *
 * <p>{@link #main} times batched against tiled in thread CPU time, interleaved in one JVM, for a
 * shared machine where wall time mostly measures the scheduler (see bench/README.md), and then one
 * 2-thread product split by rows as CpuBackend splits it: bench/matmul.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatmulBench {
    /** Tokens per call of {@link #tiled}: under the packed product's 32, a multiple of the tile's 8. */
    static final int TILE_CALL = 16;

    @Param({"896x896", "4864x896", "896x4864"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"64", "256"})
    public int tokens;

    private Matrix matrix, matvecLoop;
    private float[][] xs, ys;
    /** xs and ys cut into calls of {@link #TILE_CALL} tokens (views, made once). */
    private float[][][] xsCalls, ysCalls;

    @Setup
    public void setup() {
        int rows = KernelBench.rows(shape), cols = KernelBench.cols(shape);
        Random rnd = new Random(1);
        boolean f32 = dtype.equals("f32");
        MemorySegment w = Arena.ofAuto().allocate((f32 ? 4L : 2L) * rows * cols, 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) rnd.nextGaussian() * 0.02f;
            switch (dtype) {
                case "f32" -> w.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                case "f16" -> w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Half.floatToF16(v));
                default -> w.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Half.floatToBf16(v));
            }
        }
        matrix = switch (dtype) {
            case "f32" -> new F32Matrix(w, rows, cols);
            case "f16" -> new F16Matrix(w, rows, cols);
            default -> new Bf16Matrix(w, rows, cols);
        };
        matvecLoop = new Matrix() { // only matvec overridden: matmul is the interface's per-token loop
            @Override public int rows() { return rows; }
            @Override public int cols() { return cols; }
            @Override public long weightBytes() { return matrix.weightBytes(); }
            @Override public void matvec(float[] x, float[] y, int rowFrom, int rowTo) { matrix.matvec(x, y, rowFrom, rowTo); }
        };
        xs = new float[tokens][cols];
        ys = new float[tokens][rows];
        for (float[] x : xs) for (int c = 0; c < cols; c++) x[c] = (float) rnd.nextGaussian();
        int calls = (tokens + TILE_CALL - 1) / TILE_CALL;
        xsCalls = new float[calls][][];
        ysCalls = new float[calls][][];
        for (int i = 0; i < calls; i++) {
            xsCalls[i] = Arrays.copyOfRange(xs, i * TILE_CALL, Math.min(tokens, (i + 1) * TILE_CALL));
            ysCalls[i] = Arrays.copyOfRange(ys, i * TILE_CALL, Math.min(tokens, (i + 1) * TILE_CALL));
        }
    }

    @Benchmark
    public float[][] batched() {
        matrix.matmul(xs, ys, tokens, 0, matrix.rows());
        return ys;
    }

    @Benchmark
    public float[][] tiled() {
        for (int i = 0; i < xsCalls.length; i++) matrix.matmul(xsCalls[i], ysCalls[i], xsCalls[i].length, 0, matrix.rows());
        return ys;
    }

    @Benchmark
    public float[][] matvecLoop() {
        matvecLoop.matmul(xs, ys, tokens, 0, matrix.rows());
        return ys;
    }

    /**
     * Best thread CPU time of batched and tiled over {@code rounds} interleaved rounds (after 3
     * untimed) for every shape, dtype and 64 and 256 tokens; then 256 tokens of one shape on 2
     * threads.
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.out.println("warm-up " + ai.lort.kernel.Matrices.warmUp() + " ms; " + rounds + " rounds");
        System.out.printf(Locale.ROOT, "%-9s %-5s %6s %16s %16s %8s%n", "shape", "dtype", "tokens", "batched GFLOP/s", "tiled GFLOP/s", "speedup");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int tokens : new int[] {64, 256})
            for (String shape : new String[] {"896x896", "4864x896", "896x4864"})
                for (String dtype : new String[] {"f32", "bf16", "f16"}) {
                    MatmulBench b = bench(shape, dtype, tokens);
                    long batched = Long.MAX_VALUE, tiled = Long.MAX_VALUE;
                    for (int r = -3; r < rounds; r++) {
                        long t0 = mx.getCurrentThreadCpuTime();
                        b.batched();
                        long t1 = mx.getCurrentThreadCpuTime();
                        b.tiled();
                        long t2 = mx.getCurrentThreadCpuTime();
                        if (r >= 0) {
                            batched = Math.min(batched, t1 - t0);
                            tiled = Math.min(tiled, t2 - t1);
                        }
                    }
                    double flops = flops(shape, tokens);
                    System.out.printf(Locale.ROOT, "%-9s %-5s %6d %16.2f %16.2f %7.2fx%n", shape, dtype, tokens, flops / batched, flops / tiled, (double) tiled / batched);
                }
        twoThreads(bench("4864x896", "bf16", 256), rounds);
    }

    /**
     * The product on 2 threads, rows split in two as CpuBackend splits them: best wall time, and
     * the process CPU time of that round (both threads; JIT and GC threads too, idle by then).
     */
    private static void twoThreads(MatmulBench b, int rounds) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (WorkerPool pool = new WorkerPool(2)) {
            for (String kind : new String[] {"batched", "tiled"}) {
                WorkerPool.Task task = kind.equals("batched")
                        ? (from, to, worker) -> b.matrix.matmul(b.xs, b.ys, b.tokens, from, to)
                        : (from, to, worker) -> {
                            for (int i = 0; i < b.xsCalls.length; i++) b.matrix.matmul(b.xsCalls[i], b.ysCalls[i], b.xsCalls[i].length, from, to);
                        };
                long wall = Long.MAX_VALUE, cpu = 0;
                for (int r = -3; r < rounds; r++) {
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    pool.run(b.matrix.rows(), 2, task);
                    long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                    if (r >= 0 && t1 - t0 < wall) {
                        wall = t1 - t0;
                        cpu = c1 - c0;
                    }
                }
                double flops = flops(b.shape, b.tokens);
                System.out.printf(Locale.ROOT, "2 threads %s %s %d tokens %-7s: %.2f GFLOP/s wall, %.2f per CPU-second%n", b.shape, b.dtype, b.tokens, kind, flops / wall, flops / cpu);
            }
        }
    }

    private static MatmulBench bench(String shape, String dtype, int tokens) {
        MatmulBench b = new MatmulBench();
        b.shape = shape;
        b.dtype = dtype;
        b.tokens = tokens;
        b.setup();
        return b;
    }

    /** Floating-point operations of one product: a multiply and an add per weight and token. */
    static double flops(String shape, int tokens) {
        return 2.0 * KernelBench.rows(shape) * KernelBench.cols(shape) * tokens;
    }
}
