package ai.lort.bench;

import ai.lort.format.LortFile;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.run.CpuBackend;
import ai.lort.run.Generator;
import ai.lort.run.LlamaModel;
import ai.lort.run.LortWeights;
import ai.lort.run.SafetensorsWeights;
import ai.lort.run.Sampler;
import ai.lort.run.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.IntStream;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Generation speed of an original safetensors model and of its .lort, side by side in one JVM,
 * with the weight bytes each token reads and the machine's read bandwidth measured in the same
 * run. Usage: {@code InferBench <model folder> <model.lort>[,<other.lort>...] [tokens] [threads]}.
 */
public final class InferBench {
    public static void main(String[] args) throws Exception {
        Path original = Path.of(args[0]);
        String[] lorts = args[1].split(",");
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "machine: %d cores, %d threads used, %d tokens generated per run%n", Runtime.getRuntime().availableProcessors(), threads, tokens);
        double bw = bandwidth(threads);
        System.out.printf(Locale.ROOT, "read bandwidth (%d threads, 1 GiB sum): %.2f GB/s%n", threads, bw);
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up for both
            boolean report = round == 1;
            try (SourceModel src = SourceModel.open(LocalModel.resolve(original))) {
                run("original", new SafetensorsWeights(src), weightBytes(src), tokens, threads, bw, report);
            }
            for (String lort : lorts) {
                try (LortFile f = LortFile.open(Path.of(lort))) {
                    run(Path.of(lort).getFileName().toString(), new LortWeights(f), weightBytes(f), tokens, threads, bw, report);
                }
            }
        }
    }

    static void run(String label, WeightSource w, long bytesPerToken, int tokens, int threads, double bw, boolean report) {
        try (LlamaModel m = LlamaModel.load(w, new CpuBackend(threads), 512)) {
            Generator g = new Generator(m);
            int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8};
            Generator.Result r = g.generate(prompt, tokens, Sampler.greedy(), id -> true);
            double tps = r.generatedTokensPerSecond();
            if (report)
                System.out.printf(Locale.ROOT, "%-36s %8.2f tokens/s  %8.1f MB weights/token  %6.2f GB/s achieved (%.0f%% of measured)%n",
                        label, tps, bytesPerToken / 1e6, bytesPerToken * tps / 1e9, 100 * bytesPerToken * tps / 1e9 / bw);
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

    /** As above; with a compressed lm_head.weight the embedding table is only looked up, one row a token. */
    static long weightBytes(LortFile f) {
        long b = 0;
        for (var l : f.layers().values()) b += l.scales().byteSize() + l.a().byteSize() + l.b().byteSize() + l.codes().byteSize();
        boolean ownHead = f.layers().containsKey("lm_head.weight") || f.tensors().containsKey("lm_head.weight");
        for (Tensor t : f.tensors().values())
            b += ownHead && t.name().equals("model.embed_tokens.weight") ? t.byteSize() / t.rows() : t.byteSize();
        return b;
    }

    /** GB/s of summing a 1 GiB off-heap buffer with {@code threads} threads (best of 5). */
    static double bandwidth(int threads) {
        long size = 1L << 30;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(size, 64);
            seg.fill((byte) 1);
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
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
}
