package ai.lort.bench;

import ai.lort.decompose.Cholesky;
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
 * The compressor's dense linear algebra ({@link Gemm}'s products, {@link Cholesky}) on the
 * calibrated decomposition's shapes (Qwen2.5-0.5B: hidden 896, MLP 4864, 16384 calibration
 * tokens), 1 and 2 threads. {@code op} is {@code name:sizes}: gemm m×n×k (A·B), gemmTA m×n×k
 * (Aᵀ·B, A stored k × m), syrk n×k, cholesky n, invertLower n. Run with
 * bench/dense.sh, which prints GFLOP/s next to numpy's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class DenseBench {
    @Param({"gemm:896x4864x4864", "gemm:4864x896x896", "gemmTA:896x4864x16384", "syrk:896x16384", "syrk:4864x16384",
            "cholesky:896", "cholesky:4864", "invertLower:896", "invertLower:4864"})
    public String op;

    @Param({"1", "2"})
    public int threads;

    String name;
    int[] size;
    float[] a, b, c, spd, factor;

    @Setup
    public void setup() {
        name = op.substring(0, op.indexOf(':'));
        String[] parts = op.substring(op.indexOf(':') + 1).split("x");
        size = new int[parts.length];
        for (int i = 0; i < parts.length; i++) size[i] = Integer.parseInt(parts[i]);
        int n = size[0];
        switch (name) {
            case "gemm", "gemmTA" -> {
                a = random((long) size[0] * size[2], 1);
                b = random((long) size[2] * size[1], 2);
                c = new float[size[0] * size[1]];
            }
            case "syrk" -> {
                a = random((long) size[1] * n, 1);
                c = new float[n * n];
            }
            default -> {
                // XᵀX/k + I/10 for k = n samples, and its Cholesky factor.
                float[] x = random((long) n * n, 1);
                spd = new float[n * n];
                Gemm.syrk(n, n, 1f / n, x, 0, n, 0, spd, 0, n, 2);
                for (int i = 0; i < n; i++) spd[i * n + i] += 0.1f;
                factor = spd.clone();
                Cholesky.factor(factor, n, 2);
                c = new float[n * n];
            }
        }
    }

    static float[] random(long size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[Math.toIntExact(size)];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        return x;
    }

    /** One operation; cholesky and invertLower include copying their n × n input (under 3% of the time). */
    @Benchmark
    public float[] run() {
        int m = size[0];
        switch (name) {
            case "gemm" -> Gemm.gemm(false, false, m, size[1], size[2], 1, a, 0, size[2], b, 0, size[1], 0, c, 0, size[1], threads);
            case "gemmTA" -> Gemm.gemm(true, false, m, size[1], size[2], 1, a, 0, m, b, 0, size[1], 0, c, 0, size[1], threads);
            case "syrk" -> Gemm.syrk(m, size[1], 1, a, 0, m, 0, c, 0, m, threads);
            case "cholesky" -> {
                System.arraycopy(spd, 0, c, 0, c.length);
                Cholesky.factor(c, m, threads);
            }
            case "invertLower" -> {
                System.arraycopy(factor, 0, c, 0, c.length);
                Cholesky.invertLower(c, m, threads);
            }
            default -> throw new IllegalArgumentException(op);
        }
        return c;
    }

    /** Flops counted as LAPACK does: 2mnk for gemm, n²k for syrk, n³/3 for cholesky and invertLower. */
    static double flops(String op) {
        String name = op.substring(0, op.indexOf(':'));
        String[] s = op.substring(op.indexOf(':') + 1).split("x");
        double x = Double.parseDouble(s[0]);
        return switch (name) {
            case "gemm", "gemmTA" -> 2 * x * Double.parseDouble(s[1]) * Double.parseDouble(s[2]);
            case "syrk" -> x * x * Double.parseDouble(s[1]);
            default -> x * x * x / 3;
        };
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new CommandLineOptions(args)).run();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-28s %7s %10s %10s%n", "op", "threads", "ms/op", "GFLOP/s");
        for (RunResult r : results) {
            String op = r.getParams().getParam("op");
            double ms = r.getPrimaryResult().getScore();
            System.out.printf(Locale.ROOT, "%-28s %7s %10.1f %10.1f%n", "java " + op, r.getParams().getParam("threads"), ms, flops(op) / (ms * 1e6));
        }
    }
}
