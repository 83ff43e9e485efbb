package ai.lort.bench;

import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.RandomizedSvd;
import ai.lort.kernel.Gemm;
import java.util.Collection;
import java.util.Locale;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The decomposition's kernels on Qwen2.5-0.5B shapes, single thread: the two thin products with a
 * weight matrix that {@link RandomizedSvd} makes (l = 17 sketch columns, as for rank 9; {@link Gemm}
 * products with W's rows, or columns, as the product's rows), one randomized SVD, and one whole ALS
 * decomposition. Run with bench/decompose.sh, which prints GFLOP/s for the products.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecomposeBench {
    static final int L = 17;

    @Param({"4864x896", "896x896"})
    public String shape;

    int m, n;
    float[] w, xt, yt, y, z;

    @Setup
    public void setup() {
        m = Integer.parseInt(shape.split("x")[0]);
        n = Integer.parseInt(shape.split("x")[1]);
        SplittableRandom rnd = new SplittableRandom(1);
        w = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5);
        xt = new float[L * n];
        for (int i = 0; i < xt.length; i++) xt[i] = (float) (rnd.nextDouble() - 0.5);
        yt = new float[L * m];
        for (int i = 0; i < yt.length; i++) yt[i] = (float) (rnd.nextDouble() - 0.5);
        y = new float[m * L];
        z = new float[n * L];
    }

    /** W·X (2·m·n·l flops), X stored transposed. */
    @Benchmark
    public float[] timesW() {
        Gemm.gemm(false, true, m, L, n, 1f, w, 0, n, xt, 0, n, 0f, y, 0, L, 1);
        return y;
    }

    /** Wᵀ·Y (2·m·n·l flops), Y stored transposed. */
    @Benchmark
    public float[] timesWTransposed() {
        Gemm.gemm(true, true, n, L, m, 1f, w, 0, n, yt, 0, m, 0f, z, 0, L, 1);
        return z;
    }

    /** A rank-9 randomized SVD from a cold start with one power iteration. */
    @Benchmark
    public RandomizedSvd.Factors svdRank9() {
        return new RandomizedSvd(m, n, 9, 1).compute(w, 1);
    }

    /** The whole weight-only decomposition at rank 9, 4 ALS iterations. */
    @Benchmark
    @Measurement(iterations = 3, time = 1)
    public AlsDecomposer.Result alsRank9() {
        return AlsDecomposer.decompose(w, m, n, 9, 4, 1);
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new CommandLineOptions(args)).run();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-24s %-10s %10s %10s%n", "benchmark", "shape", "ms/op", "GFLOP/s");
        for (RunResult r : results) {
            String b = r.getParams().getBenchmark();
            String method = b.substring(b.lastIndexOf('.') + 1);
            String shape = r.getParams().getParam("shape");
            long mm = Long.parseLong(shape.split("x")[0]), nn = Long.parseLong(shape.split("x")[1]);
            double ms = r.getPrimaryResult().getScore();
            String gflops = method.startsWith("times") ? String.format(Locale.ROOT, "%10.2f", 2.0 * mm * nn * L / (ms * 1e6)) : "";
            System.out.printf(Locale.ROOT, "%-24s %-10s %10.3f %s%n", method, shape, ms, gflops);
        }
    }
}
