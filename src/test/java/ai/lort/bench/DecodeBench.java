package ai.lort.bench;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.generate.Sampler;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.TernaryPhases;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.util.WorkerPool;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * One model's decode and prefill speed, with its source model beside it (bench/decode.sh): file
 * size, bits per weight over the file and over the compressed layers, prefill tokens/s of a long
 * prompt, decode tokens/s of the {@code .lort} and of the source (taking turns, {@code rounds}
 * times), and where the time of a decode step goes.
 *
 * <p>Both models are loaded once, each on a {@link TimedBackend} (a clock read around every
 * backend operation: some 25 ns against a step of milliseconds). Each is warmed up (a 32-token
 * prefill twice, then decode steps for 3 s), then prefills the prompt once (timed), then the rounds decode
 * {@code decode} greedy tokens each, continuing after the prompt, the models taking turns. The
 * split of a step sums the operations over all rounds. The ternary products' share is then cut
 * into rotation / ternary / low-rank by {@link TernaryPhases}: every compressed layer's matvec
 * over the first thread's rows, its steps timed one by one on one thread, apart from the model.
 *
 * <p>Usage: {@code DecodeBench <model.lort> [source folder|-] [threads] [decode tokens] [rounds] [prompt tokens]}.
 */
public final class DecodeBench {
    private DecodeBench() {}

    /** Seconds of untimed decode steps per model before anything is timed. */
    static final int WARM_UP_SECONDS = 3;

    /** One loaded model and what its runs measured. */
    private static final class Bench implements AutoCloseable {
        final String label;
        final Opened opened;
        final CpuBackend cpu;
        final TimedBackend timed;
        final LlamaModel model;
        final float[] logits;
        final Sampler greedy = Sampler.greedy();
        int pos, next = 1;
        long sampling, handOffs, steps, stepNanos;
        double prefill;
        final List<Double> decode = new ArrayList<>();

        Bench(String label, Path path, int threads, int context) {
            this.label = label;
            opened = open(path);
            cpu = new CpuBackend(threads);
            timed = new TimedBackend(cpu);
            model = LlamaModel.load(opened.weights, timed, context);
            logits = new float[model.vocabSize()];
        }

        void prefill(int[] ids) {
            model.prefill(ids, 0, ids.length, 0);
            model.logits(0, logits);
            next = greedy.sample(logits);
            pos = ids.length;
        }

        /** {@code n} greedy steps from the current position; returns tokens/s and adds to the profile. */
        double decode(int n) {
            int[] one = {next};
            long h0 = cpu.handOffs(), t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                model.forward(one, 0, 1, pos++, false);
                model.logits(0, logits);
                long s0 = System.nanoTime();
                one[0] = greedy.sample(logits);
                sampling += System.nanoTime() - s0;
            }
            long t = System.nanoTime() - t0;
            next = one[0];
            stepNanos += t;
            steps += n;
            handOffs += cpu.handOffs() - h0;
            return n / (t / 1e9);
        }

        /**
         * Untimed, so that C2 compiles the step's code: a short prefill, then decode steps for
         * at least {@link #WARM_UP_SECONDS} (a tiny model's step is interpreted for thousands of
         * calls on a busy machine), going back to the prompt's end at the end of the context.
         */
        void warmUp(int[] ids, int context) {
            prefill(ids);
            prefill(ids);
            long t0 = System.nanoTime();
            for (int i = 0; i < 8 || System.nanoTime() - t0 < WARM_UP_SECONDS * 1_000_000_000L; i++) {
                if (pos + 8 >= context) pos = ids.length;
                decode(8);
            }
        }

        void resetProfile() {
            timed.reset();
            sampling = handOffs = steps = stepNanos = 0;
        }

        @Override public void close() throws Exception {
            model.close();
            opened.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Path lort = Path.of(args[0]);
        Path source = args.length > 1 && !args[1].equals("-") ? Path.of(args[1]) : null;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int decode = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int prompt = args.length > 5 ? Integer.parseInt(args[5]) : 512;
        int maxPositions;
        try (Opened o = open(lort)) { maxPositions = ModelConfig.load(o.weights).maxPositions(); }
        int room = maxPositions - rounds * decode - 1;
        if (prompt > room) {
            System.out.printf(Locale.ROOT, "prompt cut from %d to %d tokens: the model's context is %d, and %d rounds of %d tokens follow it%n",
                    prompt, room, maxPositions, rounds, decode);
            prompt = room;
        }
        int context = prompt + rounds * decode + 1;
        describe(lort, source);
        System.out.printf(Locale.ROOT, "read bandwidth (%d threads, 1 GiB sum, best of 3): %.2f GB/s%n%n", threads, InferBench.bandwidth(threads, 3));

        List<Bench> benches = new ArrayList<>();
        try {
            benches.add(new Bench(".lort", lort, threads, context));
            if (source != null) benches.add(new Bench("source", source, threads, context));
            int[] ids = promptIds(benches.get(0).model.vocabSize(), prompt);
            for (Bench b : benches) b.warmUp(Arrays.copyOf(ids, Math.min(32, prompt)), context);
            for (Bench b : benches) {
                long t0 = System.nanoTime();
                b.prefill(ids);
                b.prefill = prompt / ((System.nanoTime() - t0) / 1e9);
                b.resetProfile();
            }
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder("round " + (round + 1) + ":");
                for (Bench b : benches) {
                    double tps = b.decode(decode);
                    b.decode.add(tps);
                    line.append(String.format(Locale.ROOT, " %s %.2f tok/s", b.label, tps));
                }
                System.out.println(line);
            }
            System.out.println();
            Bench l = benches.get(0), s = source == null ? null : benches.get(1);
            System.out.printf(Locale.ROOT, "prefill (%d-token prompt, batches of %d), tok/s: .lort %.1f%s%n", prompt, l.model.batch(), l.prefill,
                    s == null ? "" : String.format(Locale.ROOT, ", source %.1f (%.2f×)", s.prefill, l.prefill / s.prefill));
            System.out.printf(Locale.ROOT, "decode (%d rounds of %d tokens, positions %d-%d), tok/s, median (range): .lort %s%s%n",
                    rounds, decode, prompt, prompt + rounds * decode, stats(l.decode),
                    s == null ? "" : String.format(Locale.ROOT, ", source %s, .lort / source %.2f×", stats(s.decode), median(l.decode) / median(s.decode)));
            System.out.println();
            split(benches, threads);
            System.out.println();
            phases(lort, l, threads);
        } finally {
            for (Bench b : benches) b.close();
        }
    }

    /** The category a {@link TimedBackend} part counts in. */
    private static String category(String part) {
        if (part.startsWith("matmul head")) return "head (output matvec)";
        if (part.startsWith("matmul ternary")) return "ternary + low-rank products";
        if (part.startsWith("matmul dense")) return "dense products";
        if (part.equals("attention")) return "attention";
        if (part.equals("logits to host")) return "logits copy";
        return "norms, rope, SwiGLU, adds, copies, embedding";
    }

    /** The decode step's time by category, the models side by side. */
    private static void split(List<Bench> benches, int threads) {
        List<Map<String, Double>> micros = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Bench b : benches) {
            Map<String, Double> m = new LinkedHashMap<>();
            double steps = b.steps;
            b.timed.nanos.forEach((part, v) -> m.merge(category(part), v[0] / 1e3 / steps, Double::sum));
            double known = m.values().stream().mapToDouble(Double::doubleValue).sum();
            m.put("sampling (greedy argmax)", b.sampling / 1e3 / steps);
            m.put("rest (model code between operations)", b.stepNanos / 1e3 / steps - known - b.sampling / 1e3 / steps);
            micros.add(m);
            m.keySet().forEach(k -> { if (!names.contains(k)) names.add(k); });
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-46s", "one decode step, " + threads + " threads (wall time)"));
        for (Bench b : benches) head.append(String.format(Locale.ROOT, " %12s %7s", b.label + " µs", "share"));
        System.out.println(head);
        for (String n : names) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-46s", n));
            for (int i = 0; i < benches.size(); i++) {
                double v = micros.get(i).getOrDefault(n, 0.0), total = benches.get(i).stepNanos / 1e3 / benches.get(i).steps;
                row.append(String.format(Locale.ROOT, " %12.1f %6.1f%%", v, 100 * v / total));
            }
            System.out.println(row);
        }
        StringBuilder total = new StringBuilder(String.format(Locale.ROOT, "%-46s", "step"));
        for (Bench b : benches) total.append(String.format(Locale.ROOT, " %12.1f %7s", b.stepNanos / 1e3 / b.steps, "100%"));
        System.out.println(total);
        double empty = emptyHandOffNanos(threads);
        for (Bench b : benches) {
            double per = (double) b.handOffs / b.steps;
            System.out.printf(Locale.ROOT, "%s: %.1f thread hand-offs per step; an empty hand-off takes %.1f µs here (median), so about %.0f µs (%.1f%%) of the step, inside the parts above%n",
                    b.label, per, empty / 1e3, per * empty / 1e3, 100 * per * empty / (b.stepNanos / (double) b.steps));
        }
        Bench l = benches.get(0);
        System.out.println("\n.lort parts (µs per step, calls per step):");
        l.timed.nanos.entrySet().stream().sorted((a, c) -> Long.compare(c.getValue()[0], a.getValue()[0]))
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-40s %10.1f %8.1f%n", e.getKey(), e.getValue()[0] / 1e3 / l.steps, (double) e.getValue()[1] / l.steps));
    }

    /**
     * The ternary products' wall time cut by their steps: every compressed layer's matvec over the
     * rows the first of {@code threads} threads takes, in the model's order (so each layer's codes
     * come from memory, as in a step), its steps timed one by one on this thread; {@code PASSES}
     * passes over the model, the median pass per step. The shares then apply to the products'
     * measured time.
     */
    private static void phases(Path lort, Bench l, int threads) throws Exception {
        final int passes = 7;
        long[][] nanos = new long[passes][TernaryPhases.NAMES.length];
        Random rnd = new Random(7);
        try (LortFile f = LortFile.open(lort)) {
            List<Matrix> ms = new ArrayList<>();
            for (CompressedLayer layer : f.layers().values()) {
                Matrix m = Matrices.compressed(layer);
                if (TernaryPhases.applies(m)) ms.add(m);
            }
            if (ms.isEmpty()) return;
            int width = ms.stream().mapToInt(m -> Math.max(m.rows(), m.cols())).max().orElseThrow();
            float[] x = new float[width], y = new float[width];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (int pass = -1; pass < passes; pass++) // pass -1 compiles and is not counted
                for (Matrix m : ms)
                    TernaryPhases.time(m, x, y, 0, (m.rows() + threads - 1) / threads, nanos[Math.max(pass, 0)]);
            double[] median = new double[TernaryPhases.NAMES.length];
            for (int i = 0; i < median.length; i++) {
                final int step = i;
                median[i] = Arrays.stream(nanos).mapToLong(n -> n[step]).sorted().toArray()[passes / 2];
            }
            double sum = Arrays.stream(median).sum();
            double measured = l.timed.nanos.entrySet().stream().filter(e -> e.getKey().startsWith("matmul ternary"))
                    .mapToLong(e -> e.getValue()[0]).sum() / 1e3 / l.steps;
            double step = l.stepNanos / 1e3 / l.steps;
            System.out.printf(Locale.ROOT, "ternary + low-rank products (%d layers in turn, each over one thread's share of rows, 1/%d), steps timed apart on one thread, median of %d passes: %.0f µs;%n",
                    ms.size(), threads, passes, sum / 1e3);
            System.out.printf(Locale.ROOT, "measured in the step (%d threads): %.0f µs. Split by those shares:%n", threads, measured);
            System.out.printf(Locale.ROOT, "  %-32s %10s %8s %10s %8s%n", "step", "apart µs", "share", "in step µs", "of step");
            for (int i = 0; i < median.length; i++)
                System.out.printf(Locale.ROOT, "  %-32s %10.1f %7.1f%% %10.1f %7.1f%%%n", TernaryPhases.NAMES[i], median[i] / 1e3, 100 * median[i] / sum,
                        measured * median[i] / sum, 100 * measured * median[i] / sum / step);
        }
    }

    /** Median wall time of handing an empty task to the pool's threads and waiting for it. */
    static double emptyHandOffNanos(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            WorkerPool.Task nothing = (from, to, worker) -> {};
            long[] t = new long[20_000];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                pool.run(2 * threads, nothing);
                t[i] = System.nanoTime() - t0;
            }
            Arrays.sort(t);
            return t[t.length / 2];
        }
    }

    static int[] promptIds(int vocab, int n) {
        Random rnd = new Random(5);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 1 + rnd.nextInt(Math.min(vocab, 30000) - 1);
        return ids;
    }

    /** Sizes: the file, bits per weight over it and over its compressed layers, and the source's. */
    static void describe(Path lort, Path source) throws Exception {
        try (LortFile f = LortFile.open(lort)) {
            long compressed = 0, compressedBytes = 0, kept = 0;
            for (CompressedLayer l : f.layers().values()) {
                compressed += (long) l.rows() * l.cols();
                compressedBytes += l.scales().byteSize() + l.a().byteSize() + l.b().byteSize() + l.codes().byteSize();
            }
            for (Tensor t : f.tensors().values()) kept += t.elementCount();
            for (var q : f.quantized().values()) kept += q.elementCount();
            long params = compressed + kept;
            System.out.printf(Locale.ROOT, "file %s: %.1f MiB (%,d bytes), %,d parameters: %.3f bits per weight over the file, %.3f over the %d compressed layers (%,d weights)%n",
                    lort.getFileName(), f.fileSize() / 1048576.0, f.fileSize(), params, 8.0 * f.fileSize() / params,
                    8.0 * compressedBytes / Math.max(1, compressed), f.layers().size(), compressed);
            f.quantized().values().forEach(q -> System.out.printf(Locale.ROOT, "  %s: %s, %.1f MiB%n", q.name(), q.encoding(), q.byteSize() / 1048576.0));
            f.tensors().values().stream().filter(t -> t.rank() == 2)
                    .forEach(t -> System.out.printf(Locale.ROOT, "  %s: %s, %.1f MiB%n", t.name(), t.dtype(), t.byteSize() / 1048576.0));
        }
        if (source != null) {
            long bytes = 0;
            try (SourceModel src = SourceModel.open(LocalModel.resolve(source))) {
                for (Tensor t : src.tensors().values()) bytes += t.byteSize();
            }
            System.out.printf(Locale.ROOT, "source %s: %.1f MiB of tensors%n", source.getFileName(), bytes / 1048576.0);
        }
    }

    private record Opened(WeightSource weights, AutoCloseable file) implements AutoCloseable {
        @Override public void close() throws Exception { file.close(); }
    }

    private static Opened open(Path model) {
        if (Files.isRegularFile(model) && LortFile.looksLikeLort(model)) {
            LortFile f = LortFile.open(model);
            return new Opened(new LortWeights(f), f);
        }
        SourceModel src = SourceModel.open(LocalModel.resolve(model));
        return new Opened(new SafetensorsWeights(src), src);
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String stats(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (s.length == 0) return "-";
        return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", median(v), s[0], s[s.length - 1]);
    }
}
