package ai.lort.bench;

import ai.lort.format.GroupQuant;
import ai.lort.format.QuantizedTensor;
import ai.lort.kernel.Bf16Matrix;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.DType;
import ai.lort.util.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The output head's matvec as a decode step runs it: the Qwen2.5-0.5B head (151,936 × 896, far
 * larger than the caches) stored BF16, q8-g32 or q4-g32, its rows split in one range per thread
 * over a {@link WorkerPool} as {@code CpuBackend.matmul} does for one token. GB/s counts the
 * stored bytes (codes and scales) read per matvec. Run with bench/head.sh, which also measures the
 * machine's read bandwidth ({@link BandwidthBench}) in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx1g"})
// Vector API code reaches C2 only after several seconds on a busy machine: warm up long enough.
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 5, time = 1)
public class HeadBench {
    @Param({"151936x896"})
    public String shape;

    @Param({"bf16", "q8-g32", "q4-g32"})
    public String dtype;

    @Param({"2"})
    public int threads;

    private Matrix m;
    private WorkerPool pool;
    private float[] x, y;
    private final WorkerPool.Task task = (from, to, worker) -> m.matvec(x, y, from, to);

    @Setup(Level.Trial)
    public void setup() {
        int rows = KernelBench.rows(shape), cols = KernelBench.cols(shape);
        SplittableRandom rnd = new SplittableRandom(1);
        m = matrix(dtype, rows, cols, rnd);
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        y = new float[rows];
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() { pool.close(); }

    /** One head matvec, one row range per thread. */
    @Benchmark
    public float[] matvec() {
        pool.run(m.rows(), pool.threads(), task);
        return y;
    }

    /**
     * A random matrix in the given storage. Random codes and scales, not a quantized matrix: the
     * time does not depend on the values, and quantizing 136M weights would dominate the setup.
     */
    static Matrix matrix(String dtype, int rows, int cols, SplittableRandom rnd) {
        if (dtype.equals("bf16")) {
            MemorySegment s = Arena.global().allocate(2L * rows * cols, 64);
            for (long i = 0; i < (long) rows * cols; i++)
                s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) (rnd.nextDouble() - 0.5) * 0.04f) >>> 16));
            return new Bf16Matrix(s, rows, cols);
        }
        GroupQuant q = GroupQuant.byId(dtype).orElseThrow();
        long codeBytes = (long) rows * q.rowBytes(cols), all = q.bytes(rows, cols);
        MemorySegment s = Arena.global().allocate(all, 64);
        for (long i = 0; i < codeBytes; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        for (long i = codeBytes; i + 1 < all; i += 2)
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) (rnd.nextDouble() * 0.002 + 1e-4)));
        return Matrices.quantized(new QuantizedTensor("head", q, rows, cols, DType.BF16, s));
    }

    static long bytes(String dtype, int rows, int cols) {
        return dtype.equals("bf16") ? 2L * rows * cols : GroupQuant.byId(dtype).orElseThrow().bytes(rows, cols);
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new ArrayList<>(new Runner(new CommandLineOptions(args)).run());
        System.out.println();
        System.out.printf(Locale.ROOT, "%-26s %-8s %7s %10s %12s %8s%n", "benchmark", "dtype", "threads", "ms/op", "bytes/op", "GB/s");
        for (RunResult r : results) {
            var p = r.getParams();
            double score = r.getPrimaryResult().getScore();
            if (p.getBenchmark().contains("BandwidthBench")) {
                // BandwidthBench reports ns per op over a buffer per thread.
                long bytes = ((long) Integer.parseInt(p.getParam("megabytes")) << 20) * p.getThreads();
                System.out.printf(Locale.ROOT, "%-26s %-8s %7d %10.2f %12d %8.2f%n", "BandwidthBench.read", "", p.getThreads(), score / 1e6, bytes, bytes / score);
                continue;
            }
            String shape = p.getParam("shape"), dtype = p.getParam("dtype");
            long bytes = bytes(dtype, KernelBench.rows(shape), KernelBench.cols(shape));
            System.out.printf(Locale.ROOT, "%-26s %-8s %7s %10.2f %12d %8.2f%n", "HeadBench.matvec " + shape, dtype, p.getParam("threads"), score, bytes, bytes / (score * 1e6));
        }
    }
}
