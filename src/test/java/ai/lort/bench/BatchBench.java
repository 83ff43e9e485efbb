package ai.lort.bench;

import ai.lort.api.Completion;
import ai.lort.api.Device;
import ai.lort.api.Generation;
import ai.lort.api.GenerationOptions;
import ai.lort.api.LortModel;
import ai.lort.api.ModelOptions;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.LortFile;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.model.LlamaModel;
import ai.lort.weights.LortWeights;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Batched decoding in one JVM, without HTTP: greedy generation of a .lort model by
 * {@link Generator} (the one-sequence loop), by the API with one generation, and by the API with
 * {@code streams} generations at once, in turns for {@code rounds} rounds. Prints decode tokens/s
 * (wall) and process CPU milliseconds per generated token of each, and the medians. Usage:
 * {@code BatchBench <model.lort> [tokens] [threads] [streams] [rounds]}.
 *
 * <p>On a shared machine the wall time moves with the neighbours' load; CPU time per token says
 * what a step costs whoever else runs.
 */
public final class BatchBench {
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    record Run(double tokensPerSecond, double cpuMsPerToken) {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64, threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int streams = args.length > 3 ? Integer.parseInt(args[3]) : 4, rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        List<Run> gen = new ArrayList<>(), one = new ArrayList<>(), many = new ArrayList<>();
        try (LortWeights w = new LortWeights(LortFile.open(file)); LlamaModel m = LlamaModel.load(w, new CpuBackend(threads), 512);
             LortModel api = LortModel.open(file.toString(), ModelOptions.builder().threads(threads).parallel(streams).context(512)
                     .device(Device.CPU).messages(null).build())) {
            for (int round = -1; round < rounds; round++) { // round -1 warms the JIT up
                Run g = generator(m, tokens, round), a = api(api, tokens, 1, round), b = api(api, tokens, streams, round);
                if (round < 0) continue;
                gen.add(g);
                one.add(a);
                many.add(b);
                System.out.printf(Locale.ROOT, "round %d: Generator %6.2f tokens/s %5.1f CPU ms/token | API 1 stream %6.2f tokens/s %5.1f CPU ms/token | API %d streams %6.2f tokens/s aggregate %5.1f CPU ms/token%n",
                        round, g.tokensPerSecond, g.cpuMsPerToken, a.tokensPerSecond, a.cpuMsPerToken, streams, b.tokensPerSecond, b.cpuMsPerToken);
            }
        }
        double g = median(gen, true), a = median(one, true), b = median(many, true);
        System.out.printf(Locale.ROOT, "median: Generator %.2f, API 1 stream %.2f (%.3fx Generator), API %d streams %.2f aggregate (%.2fx 1 stream) tokens/s%n",
                g, a, a / g, streams, b, b / a);
        System.out.printf(Locale.ROOT, "median CPU ms per token: Generator %.1f, 1 stream %.1f, %d streams %.1f (%.2fx less)%n",
                median(gen, false), median(one, false), streams, median(many, false), median(one, false) / median(many, false));
    }

    static int[] prompt(int seed) { return new int[] {1, 100 + seed, 200, 300, 400, 500, 600, 700}; }

    static Run generator(LlamaModel m, int tokens, int seed) {
        Generator gen = new Generator(m);
        long cpu = OS.getProcessCpuTime();
        Generator.Result r = gen.generate(prompt(seed), tokens, Sampler.greedy(), id -> true);
        double cpuMs = (OS.getProcessCpuTime() - cpu) / 1e6;
        return new Run(r.generatedTokensPerSecond(), cpuMs / r.tokens().length);
    }

    /** {@code streams} greedy generations at once; decode tokens/s summed over the streams. */
    static Run api(LortModel model, int tokens, int streams, int seed) {
        long cpu = OS.getProcessCpuTime();
        List<Generation> gs = new ArrayList<>();
        for (int s = 0; s < streams; s++) gs.add(model.generate(prompt(seed * 10 + s + 1000), GenerationOptions.greedy(tokens)));
        double rate = 0;
        int total = 0;
        for (Generation g : gs) {
            Completion c = g.result();
            rate += c.tokensPerSecond();
            total += c.tokens().length;
        }
        return new Run(rate, (OS.getProcessCpuTime() - cpu) / 1e6 / total);
    }

    static double median(List<Run> runs, boolean speed) {
        double[] v = runs.stream().mapToDouble(r -> speed ? r.tokensPerSecond : r.cpuMsPerToken).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
