package ai.lort.bench;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.LortFile;
import ai.lort.generate.Generator;
import ai.lort.generate.Sampler;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.LlamaModel;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Generation speed of an original safetensors model and of its .lort files, side by side in one
 * JVM, with the weight bytes each token reads and the machine's read bandwidth measured in the
 * same run. Usage: {@code InferBench <model folder> <model.lort>[,<other.lort>...] [tokens] [threads] [rounds]}.
 *
 * <p>The machine is a cloud VM whose memory bandwidth moves from second to second with its
 * neighbours (a 1 GiB sum read 8 to 16 GB/s within a minute, idle here), so one bandwidth figure
 * at the start and one generation per model later compare different moments. Instead each model
 * runs {@code rounds} times, the models taking turns, and every run is bracketed by bandwidth
 * measurements taken just before and just after it: a run's share of the bandwidth is its achieved
 * bytes per second over the mean of its two brackets. Reported per model: the median over the
 * rounds of tokens/s, of the speed-up over the original in the same round, and of that share;
 * and the best of each.
 */
public final class InferBench {
    /** One model to run: a label, its weights per run, and the bytes a token reads. */
    private record Subject(String label, java.util.function.Supplier<Opened> open, long bytesPerToken) {}

    /** An opened model and the files to close after its run. */
    private record Opened(WeightSource weights, AutoCloseable file) {}

    /** One timed run: tokens/s and the bandwidth measured around it. */
    private record Run(double tokensPerSecond, double bandwidth) {}

    public static void main(String[] args) throws Exception {
        Path original = Path.of(args[0]);
        String[] lorts = args[1].split(",");
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        System.out.printf(Locale.ROOT, "machine: %d cores, %d threads used, %d tokens generated per run, %d rounds%n",
                Runtime.getRuntime().availableProcessors(), threads, tokens, rounds);
        List<Subject> subjects = new ArrayList<>();
        long originalBytes;
        try (SourceModel src = SourceModel.open(LocalModel.resolve(original))) {
            originalBytes = weightBytes(src);
        }
        subjects.add(new Subject("original", () -> {
            SourceModel src = SourceModel.open(LocalModel.resolve(original));
            return new Opened(new SafetensorsWeights(src), src);
        }, originalBytes));
        for (String lort : lorts) {
            long bytes;
            try (LortFile f = LortFile.open(Path.of(lort))) {
                bytes = weightBytes(f);
            }
            subjects.add(new Subject(Path.of(lort).getFileName().toString(), () -> {
                LortFile f = LortFile.open(Path.of(lort));
                return new Opened(new LortWeights(f), f);
            }, bytes));
        }
        System.out.printf(Locale.ROOT, "read bandwidth at the start (%d threads, 1 GiB sum, best of 5): %.2f GB/s%n", threads, bandwidth(threads, 5));
        for (Subject s : subjects) run(s, tokens, threads); // warm-up: the JIT compiles the kernels
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++)
            for (Subject s : subjects) {
                double before = bandwidth(threads, 2);
                double tps = run(s, tokens, threads);
                double after = bandwidth(threads, 2);
                runs.computeIfAbsent(s.label(), k -> new ArrayList<>()).add(new Run(tps, (before + after) / 2));
            }
        List<Run> base = runs.get("original");
        System.out.printf(Locale.ROOT, "%-34s %22s %13s %22s %16s %22s%n", "model", "tokens/s median (best)", "MB/token",
                "GB/s achieved (best)", "× original", "% of bandwidth (best)");
        for (Subject s : subjects) {
            List<Run> r = runs.get(s.label());
            double[] tps = r.stream().mapToDouble(Run::tokensPerSecond).toArray();
            double[] speedup = IntStream.range(0, r.size()).mapToDouble(i -> r.get(i).tokensPerSecond() / base.get(i).tokensPerSecond()).toArray();
            double[] share = r.stream().mapToDouble(x -> s.bytesPerToken() * x.tokensPerSecond() / 1e9 / x.bandwidth()).toArray();
            System.out.printf(Locale.ROOT, "%-34s %12.2f (%7.2f) %13.1f %12.2f (%7.2f) %7.2f× (%5.2f×) %11.0f%% (%6.0f%%)%n",
                    s.label(), median(tps), max(tps), s.bytesPerToken() / 1e6, s.bytesPerToken() * median(tps) / 1e9,
                    s.bytesPerToken() * max(tps) / 1e9, median(speedup), max(speedup), 100 * median(share), 100 * max(share));
        }
        double[] bws = runs.values().stream().flatMap(List::stream).mapToDouble(Run::bandwidth).toArray();
        System.out.printf(Locale.ROOT, "bandwidth around the runs: median %.2f GB/s, range %.2f-%.2f%n", median(bws), min(bws), max(bws));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }

    private static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

    /** Generates {@code tokens} greedy tokens after an 8-token prompt; returns generated tokens/s. */
    static double run(Subject s, int tokens, int threads) throws Exception {
        Opened o = s.open().get();
        try (AutoCloseable file = o.file(); LlamaModel m = LlamaModel.load(o.weights(), new CpuBackend(threads), 512)) {
            Generator g = new Generator(m);
            int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8};
            return g.generate(prompt, tokens, Sampler.greedy(), id -> true).generatedTokensPerSecond();
        }
    }

    /** Bytes of weights a token step reads: every matrix once (a tied head reads the whole embedding). */
    static long weightBytes(SourceModel src) {
        long b = 0;
        boolean ownHead = src.tensors().containsKey("lm_head.weight");
        for (Tensor t : src.tensors().values())
            b += ownHead && t.name().equals("model.embed_tokens.weight") ? t.byteSize() / t.rows() : t.byteSize();
        return b;
    }

    /**
     * As above; a compressed layer counts what its kernel reads ({@link ai.lort.kernel.Matrix#weightBytes}:
     * the codes as re-laid out at load, B widened to float32), not its bytes in the file. With a
     * compressed lm_head.weight the embedding table is only looked up, one row a token.
     */
    static long weightBytes(LortFile f) {
        long b = 0;
        for (var l : f.layers().values()) b += ai.lort.kernel.Matrices.compressed(l).weightBytes();
        boolean ownHead = f.layers().containsKey("lm_head.weight") || f.tensors().containsKey("lm_head.weight")
                || f.quantized().containsKey("lm_head.weight");
        for (Tensor t : f.tensors().values())
            b += ownHead && t.name().equals("model.embed_tokens.weight") ? t.byteSize() / t.rows() : t.byteSize();
        for (var q : f.quantized().values())
            b += ownHead && q.name().equals("model.embed_tokens.weight") ? q.byteSize() / q.rows() : q.byteSize();
        return b;
    }

    /** The buffer {@link #bandwidth} sums, allocated and touched once (1 GiB, kept for the whole run). */
    private static MemorySegment buffer;

    /** GB/s of summing a 1 GiB off-heap buffer with {@code threads} threads, best of {@code passes}. */
    static double bandwidth(int threads, int passes) {
        long size = 1L << 30;
        if (buffer == null) {
            buffer = Arena.global().allocate(size, 64);
            buffer.fill((byte) 1);
        }
        MemorySegment seg = buffer;
        double best = 0;
        for (int rep = 0; rep < passes; rep++) {
            long t0 = System.nanoTime();
            long sum = IntStream.range(0, threads).parallel().mapToLong(t -> {
                long chunk = size / threads, from = t * chunk;
                var species = LongVector.SPECIES_PREFERRED;
                LongVector acc = LongVector.zero(species);
                for (long i = from; i < from + chunk; i += species.vectorByteSize())
                    acc = acc.add(LongVector.fromMemorySegment(species, seg, i, java.nio.ByteOrder.LITTLE_ENDIAN));
                return acc.reduceLanes(VectorOperators.ADD);
            }).sum();
            double s = (System.nanoTime() - t0) / 1e9;
            if (sum == 42) System.out.print("");
            best = Math.max(best, size / s / 1e9);
        }
        return best;
    }
}
