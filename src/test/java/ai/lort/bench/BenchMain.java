package ai.lort.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with the usual command line (see bench/kernels.sh), then reprints each result with the
 * weight bytes it read per op and the resulting GB/s, which JMH cannot know ({@link MatmulBench}:
 * GFLOP/s).
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new ArrayList<>(new Runner(new CommandLineOptions(args)).run());
        System.out.println();
        if (results.stream().anyMatch(r -> r.getParams().getBenchmark().contains("MatmulBench"))) {
            System.out.printf(Locale.ROOT, "%-32s %-10s %-6s %7s %12s %8s%n", "benchmark", "shape", "dtype", "tokens", "ns/op", "GFLOP/s");
            for (RunResult r : results) {
                var p = r.getParams();
                if (!p.getBenchmark().contains("MatmulBench")) continue;
                int tokens = Integer.parseInt(p.getParam("tokens"));
                double ns = r.getPrimaryResult().getScore();
                System.out.printf(Locale.ROOT, "%-32s %-10s %-6s %7d %12.0f %8.2f%n", p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1),
                        p.getParam("shape"), p.getParam("dtype"), tokens, ns, MatmulBench.flops(p.getParam("shape"), tokens) / ns);
            }
            results.removeIf(r -> r.getParams().getBenchmark().contains("MatmulBench"));
            if (results.isEmpty()) return;
            System.out.println();
        }
        System.out.printf(Locale.ROOT, "%-32s %-10s %-6s %12s %12s %8s%n", "benchmark", "shape", "memory", "ns/op", "bytes/op", "GB/s");
        for (RunResult r : results) {
            var p = r.getParams();
            String method = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            double ns = r.getPrimaryResult().getScore();
            long bytes;
            String shape = "", memory = "";
            if (p.getBenchmark().contains("BandwidthBench")) {
                bytes = ((long) Integer.parseInt(p.getParam("megabytes")) << 20) * p.getThreads();
            } else {
                shape = p.getParam("shape");
                memory = p.getParam("memory");
                int rows = KernelBench.rows(shape), cols = KernelBench.cols(shape);
                bytes = method.startsWith("bf16") ? KernelBench.bf16Bytes(rows, cols)
                        : KernelBench.ternaryBytes(rows, cols, Integer.parseInt(p.getParam("rank")));
                if (p.getParam("rank") != null) shape += " r" + p.getParam("rank");
            }
            System.out.printf(Locale.ROOT, "%-32s %-10s %-6s %12.0f %12d %8.2f%n", method, shape, memory, ns, bytes, bytes / ns);
        }
    }
}
