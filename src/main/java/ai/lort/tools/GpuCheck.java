package ai.lort.tools;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.engine.cuda.CudaBackend;
import ai.lort.engine.cuda.CudaDevice;
import ai.lort.engine.cuda.CudaKernels;
import ai.lort.engine.cuda.Devices;
import ai.lort.engine.cuda.Gpu;
import ai.lort.format.LortFile;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Everything LoRT checks on a GPU, in one run (bench/gpu-check.sh starts it with a jlink-ed runtime):
 * <ol>
 *   <li>the CUDA backend against the CPU backend on stories260K, the tiny models, a tiny synthetic
 *       compressed model (ternary kernel) and every {@code .lort} file in the models folder (the
 *       bundle compresses stories260K with the default encodings — t3-b5 codes, row-f16 scales, the
 *       Hadamard rotation, a q4-g32 embedding/head — and with t2-g64 / q8-g32): the same greedy
 *       continuation and logits within 1e-2 at every step, after a batched prompt;</li>
 *   <li>with {@code --bench}: decode tokens/s and achieved bandwidth of a Qwen2.5-0.5B-shaped model,
 *       dense BF16, compressed in format 1.0's encodings and in the defaults' (the target), on the
 *       GPU and on the CPU ({@code --cpu-threads}, default 2), and the kernel launch overhead.</li>
 * </ol>
 * Exit status 0 when every check passes, 1 otherwise. Output lines start with PASS, FAIL, SKIP or
 * BENCH so that a log can be grepped.
 */
public final class GpuCheck {
    private static final List<String> MODELS = List.of("stories260K", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral");
    private static final int[] PROMPT = {1, 403, 407, 261, 378};  // "Once upon a time" in the stories260K vocabulary
    private static final float TOLERANCE = 1e-2f;

    private Path models = defaultModels();
    /** The GPU to open for each backend; tests pass an emulated one. */
    private Supplier<Gpu> gpus = () -> new CudaDevice(0);
    private SyntheticModel.Shape benchShape = SyntheticModel.QWEN25_05B;
    private boolean bench, checks = true;
    private Path lortFiles;
    private int tokens = 128, cpuTokens = 8, cpuThreads = 2, rank = 32, steps = 48;

    public static void main(String[] args) {
        GpuCheck c = new GpuCheck();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> c.models = Path.of(args[++i]);
                case "--bench" -> c.bench = true;
                case "--bench-only" -> { c.bench = true; c.checks = false; }
                case "--tokens" -> c.tokens = Integer.parseInt(args[++i]);
                case "--cpu-tokens" -> c.cpuTokens = Integer.parseInt(args[++i]);
                case "--cpu-threads" -> c.cpuThreads = Integer.parseInt(args[++i]);
                case "--rank" -> c.rank = Integer.parseInt(args[++i]);
                case "--steps" -> c.steps = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: GpuCheck [--models DIR] [--bench | --bench-only] [--tokens N] [--cpu-tokens N] [--cpu-threads N] [--rank R] [--steps N]");
                    System.exit(2);
                }
            }
        }
        System.exit(c.run() == 0 ? 0 : 1);
    }

    private static Path defaultModels() {
        String shared = System.getenv("LORT_SHARED");
        return (shared != null ? Path.of(shared) : Path.of("..", "shared")).resolve("models");
    }

    /** For tests: runs on {@code gpus} (an emulation), benchmarks {@code shape}, few tokens. */
    public GpuCheck emulated(Supplier<Gpu> gpus, Path models, SyntheticModel.Shape shape) {
        this.gpus = gpus;
        this.models = models;
        this.benchShape = shape;
        this.bench = true;
        this.tokens = 4;
        this.cpuTokens = 2;
        this.steps = 4;
        return this;
    }

    /** For tests: the folder whose {@code .lort} files are checked, instead of the models folder. */
    public GpuCheck lortFiles(Path dir) {
        this.lortFiles = dir;
        return this;
    }

    private CudaBackend backend(boolean graphs) { return new CudaBackend(gpus.get(), graphs); }

    /** Runs the checks and the benchmark; returns the number of failed checks. */
    public int run() {
        String problem = benchShape == SyntheticModel.QWEN25_05B ? Devices.cudaProblem() : null;
        if (problem != null) {
            System.out.println("FAIL no usable GPU: " + problem);
            return 1;
        }
        System.out.println("lort gpu-check on java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        int failures = 0;
        if (checks) {
            for (String name : MODELS) {
                Path dir = models.resolve(name);
                if (!Files.isDirectory(dir)) {
                    System.out.println("SKIP " + name + ": not found at " + dir + " (give --models DIR)");
                    continue;
                }
                try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(dir)))) {
                    failures += compare(w, name, true, false);
                    if (name.equals("stories260K")) failures += compare(w, name + " with CUDA graphs", true, true);
                }
            }
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 8, 6)) {
                failures += compare(w, "tiny-synthetic t2-g64 rank 8 (cols 64 and 172), fused kernel", true, false);
                failures += compare(w, "tiny-synthetic t2-g64 rank 8 (cols 64 and 172), two-phase kernels", false, false);
                failures += compare(w, "tiny-synthetic t2-g64 rank 8, fused kernel, CUDA graphs", true, true);
            }
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.QWEN25_05B_SMALL, 32, 8)) {
                failures += compare(w, "synthetic Qwen2.5-0.5B widths, 2 layers, t2-g64 rank 32", true, false);
            }
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.QWEN25_05B_SMALL, 32, 8, true)) {
                failures += compare(w, "synthetic Qwen2.5-0.5B widths, 2 layers, defaults (t3-b5, row-f16, Hadamard, q4-g32 head) rank 32", true, false);
            }
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 0, 7)) {
                failures += compare(w, "tiny-synthetic t2-g64 rank 0");
            }
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 8, 9, true)) {
                failures += compare(w, "tiny-synthetic defaults (t3-b5, row-f16, Hadamard, q4-g32 head) rank 8, fused kernel", true, false);
                failures += compare(w, "tiny-synthetic defaults rank 8, two-phase kernels", false, false);
            }
            failures += compareLortFiles();
        }
        if (bench) bench();
        System.out.println(failures == 0 ? "PASS all GPU checks" : "FAIL " + failures + " GPU check(s)");
        return failures;
    }

    /** Every {@code .lort} file in the models folder (or {@link #lortFiles}'s), fused and two-phase kernels; the number of failures. */
    private int compareLortFiles() {
        Path models = lortFiles != null ? lortFiles : this.models;
        List<Path> files;
        try (java.util.stream.Stream<Path> list = Files.list(models)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".lort")).sorted().toList();
        } catch (java.io.IOException e) {
            files = List.of();
        }
        if (files.isEmpty()) {
            System.out.println("SKIP .lort files: none in " + models + " (bench/gpu-check.sh bundle compresses two)");
            return 0;
        }
        int failures = 0;
        for (Path f : files) {
            try (LortWeights w = new LortWeights(LortFile.open(f))) {
                String what = f.getFileName() + " (" + encodings(w) + ")";
                failures += compare(w, what + ", fused kernel", true, false);
                failures += compare(w, what + ", two-phase kernels", false, false);
            } catch (RuntimeException e) {
                System.out.println("FAIL " + f.getFileName() + ": " + e);
                failures++;
            }
        }
        return failures;
    }

    /** The distinct layer and table encodings of a file, e.g. "t3-b5 row-f16 hadamard, q4-g32". */
    private static String encodings(LortWeights w) {
        java.util.Set<String> e = new java.util.TreeSet<>();
        for (ai.lort.format.CompressedLayer c : w.compressedLayers())
            e.add(c.packing().id() + " " + c.scaleEncoding().id() + (c.rotation() != null ? " hadamard" : ""));
        w.quantized("model.embed_tokens.weight").ifPresent(q -> e.add(q.encoding().id()));
        return String.join(", ", e);
    }

    /** Greedy decoding on both backends in lock step (fed the CPU's choice); 1 on a mismatch. */
    public int compare(WeightSource weights, String name) { return compare(weights, name, true, false); }

    public int compare(WeightSource weights, String name, boolean fused, boolean graphs) {
        int context = PROMPT.length + steps + 1;
        CudaBackend cuda = backend(graphs);
        cuda.setFusedLowRank(fused);
        try (LlamaModel cpu = LlamaModel.load(weights, new CpuBackend(cpuThreads), context, 8);
             LlamaModel gpu = LlamaModel.load(weights, cuda, context, 8)) {
            float[] lc = new float[cpu.vocabSize()], lg = new float[gpu.vocabSize()];
            cpu.prefill(PROMPT, 0, PROMPT.length, 0);
            gpu.prefill(PROMPT, 0, PROMPT.length, 0);
            float maxDiff = 0;
            int firstMismatch = -1;
            int[] next = new int[1];
            for (int s = 0; s <= steps; s++) {
                cpu.logits(0, lc);
                gpu.logits(0, lg);
                for (int i = 0; i < lc.length; i++) maxDiff = Math.max(maxDiff, Math.abs(lc[i] - lg[i]));
                next[0] = argmax(lc);
                int g = argmax(lg);
                // Random synthetic weights have near-ties that float rounding may break either way;
                // the real models' top-1/top-2 gaps are all above 0.01, so there the choice must agree.
                boolean tie = weights instanceof SyntheticModel && lc[next[0]] - lc[g] <= TOLERANCE;
                if (firstMismatch < 0 && g != next[0] && !tie) firstMismatch = s;
                if (s == steps) break;
                cpu.forward(next, 0, 1, PROMPT.length + s, false);
                gpu.forward(next, 0, 1, PROMPT.length + s, false);
            }
            boolean ok = maxDiff <= TOLERANCE && firstMismatch < 0;
            System.out.printf(Locale.ROOT, "%s %s: %d greedy steps %s, max |logit diff| %.2e (limit %.0e)%n", ok ? "PASS" : "FAIL", name,
                    steps + 1, firstMismatch < 0 ? "identical" : "differ from step " + firstMismatch, maxDiff, TOLERANCE);
            return ok ? 0 : 1;
        } catch (RuntimeException e) {
            System.out.println("FAIL " + name + ": " + e);
            e.printStackTrace(System.out);
            return 1;
        }
    }

    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private void bench() {
        launchOverhead();
        SyntheticModel.Shape shape = benchShape;
        // BF16 original, format 1.0's encodings (t2-g64, row-f32, BF16 head), the defaults' encodings
        double[] gpu = new double[3], cpu = new double[3];
        for (int v = 0; v < 3; v++) {
            int r = v == 0 ? -1 : rank;
            String label = shape.name() + (r < 0 ? " BF16" : v == 1 ? " t2-g64 rank " + r : " defaults (t3-b5, row-f16, Hadamard, q4-g32 head) rank " + r);
            long t0 = System.nanoTime();
            try (SyntheticModel w = new SyntheticModel(shape, r, 42, v == 2)) {
                System.out.printf(Locale.ROOT, "BENCH %s: built in memory in %.1f s%n", label, (System.nanoTime() - t0) / 1e9);
                gpu[v] = benchGpu(w, label, true, false);
                double graphed = benchGpu(w, label + ", CUDA graphs", true, true);
                gpu[v] = Math.max(gpu[v], graphed);
                if (r >= 0) benchGpu(w, label + ", two-phase ternary kernels", false, false);
                cpu[v] = benchCpu(w, label);
            }
        }
        System.out.printf(Locale.ROOT, "BENCH defaults' encodings against t2-g64 on the GPU: %.2fx (%.1f vs %.1f tokens/s)%n",
                gpu[2] / gpu[1], gpu[2], gpu[1]);
        // the target: the .lort the defaults write
        System.out.printf(Locale.ROOT, "BENCH target .lort faster than BF16 on the GPU: %s (%.1f vs %.1f tokens/s)%n",
                gpu[2] > gpu[0] ? "yes" : "NO", gpu[2], gpu[0]);
        System.out.printf(Locale.ROOT, "BENCH target .lort on the GPU >= 10x the %d-thread CPU: %s (%.1fx)%n",
                cpuThreads, gpu[2] >= 10 * cpu[2] ? "yes" : "NO", gpu[2] / cpu[2]);
    }

    /** Time of a launch of a one-thread kernel, the floor of a step made of many small kernels. */
    private void launchOverhead() {
        try (Gpu d = gpus.get(); Arena arena = Arena.ofConfined()) {
            CudaKernels k = new CudaKernels(d, arena);
            long buf = d.alloc(1024);
            int n = benchShape == SyntheticModel.QWEN25_05B ? 20000 : 10;
            for (int i = 0; i < Math.min(n, 1000); i++) k.copy(buf, buf + 512, 1);
            d.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) k.copy(buf, buf + 512, 1);
            d.synchronize();
            double us = (System.nanoTime() - t0) / 1e3 / n;
            System.out.printf(Locale.ROOT, "BENCH launch overhead: %.2f us per kernel launch (%d launches of a 1-element copy, queued then synchronized)%n", us, n);
            String peak = d instanceof CudaDevice c ? String.format(Locale.ROOT, ", peak memory bandwidth %.0f GB/s", c.peakBandwidth() / 1e9) : "";
            System.out.println("BENCH device: " + d.description() + peak);
            d.free(buf);
        }
    }

    /** Decode tokens/s on the GPU; prints the bandwidth and launches per token. */
    private double benchGpu(SyntheticModel w, String label, boolean fused, boolean graphs) {
        CudaBackend backend = backend(graphs);
        backend.setFusedLowRank(fused);
        int prompt = 8;
        try (LlamaModel m = LlamaModel.load(w, backend, prompt + tokens + 3, 8)) {
            int[] ids = new int[prompt];
            for (int i = 0; i < prompt; i++) ids[i] = 100 + i;
            float[] logits = new float[m.vocabSize()];
            int[] next = new int[1];
            m.prefill(ids, 0, prompt, 0);
            m.logits(0, logits);
            next[0] = argmax(logits);
            // warm-up: JIT of the Java side, first launches; with graphs, a step recorded and one captured
            for (int i = 0; i < 2; i++) {
                m.forward(next, 0, 1, prompt + i, false);
                m.logits(0, logits);
            }
            long[] launches0 = backend.launchCounts();
            long t0 = System.nanoTime();
            for (int i = 2; i < 2 + tokens / 2; i++) {
                m.forward(next, 0, 1, prompt + i, false);
                m.logits(0, logits);
                next[0] = argmax(logits);
            }
            double withLogits = (tokens / 2) / ((System.nanoTime() - t0) / 1e9);
            long[] launches1 = backend.launchCounts();
            double launches = (launches1[0] - launches0[0]) / (double) (tokens / 2);
            double graphLaunches = (launches1[1] - launches0[1]) / (double) (tokens / 2);
            long t1 = System.nanoTime();
            for (int i = 2 + tokens / 2; i < 2 + tokens; i++) m.forward(next, 0, 1, prompt + i, false);
            backend.synchronize();
            double stepsOnly = (tokens - tokens / 2) / ((System.nanoTime() - t1) / 1e9);
            long bytes = backend.weightBytesPerToken();
            System.out.printf(Locale.ROOT, "BENCH %s cuda: %.1f tokens/s with logits to the host and argmax there, %.1f tokens/s for the steps"
                            + " alone; %.1f MB of weights per token -> %.1f GB/s (%.1f GB/s steps alone); per token %.0f kernel launches, %.2f graph launches%n",
                    label, withLogits, stepsOnly, bytes / 1e6, bytes * withLogits / 1e9, bytes * stepsOnly / 1e9, launches, graphLaunches);
            return withLogits;
        }
    }

    private double benchCpu(SyntheticModel w, String label) {
        int prompt = 4;
        try (LlamaModel m = LlamaModel.load(w, new CpuBackend(cpuThreads), prompt + cpuTokens + 2, 4)) {
            int[] ids = {100, 101, 102, 103};
            float[] logits = new float[m.vocabSize()];
            int[] next = new int[1];
            m.prefill(ids, 0, prompt, 0);
            m.logits(0, logits);
            next[0] = argmax(logits);
            m.forward(next, 0, 1, prompt, false);  // warm-up
            long t0 = System.nanoTime();
            for (int i = 1; i <= cpuTokens; i++) {
                m.forward(next, 0, 1, prompt + i, false);
                m.logits(0, logits);
                next[0] = argmax(logits);
            }
            double tps = cpuTokens / ((System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "BENCH %s cpu (%d threads): %.2f tokens/s%n", label, cpuThreads, tps);
            return tps;
        }
    }
}
