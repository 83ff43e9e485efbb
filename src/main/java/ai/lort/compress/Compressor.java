package ai.lort.compress;

import ai.lort.LortException;
import ai.lort.calibrate.CalibratedPass;
import ai.lort.calibrate.Calibration;
import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.RankPlanner;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortWriter;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.select.LayerSelector;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The compression pipeline: load (mapped tensors) → select → decompose → pack → write.
 * Layers are decomposed on {@code threads} workers, one layer each, and written in source order
 * by the calling thread; at most {@code threads + 1} layers are in memory at once, so peak memory
 * depends on the largest layer, not on the model.
 */
public final class Compressor {
    private final CompressOptions options;
    private final PrintStream report;

    /** @param report where per-layer lines go (stdout normally, stderr under --json) */
    public Compressor(CompressOptions options, PrintStream report) {
        this.options = options;
        this.report = report;
    }

    /** Result of a run, for the summary. */
    public record Summary(List<LayerReport> layers, long compressedParams, long keptParams, long compressedBits,
                          long fileBytes, long sourceFp16Bytes, double seconds, String method,
                          CalibratedPass.Outcome calibration, Evaluation evaluation) {
        public double bitsPerWeight() { return compressedParams == 0 ? 0 : (double) compressedBits / compressedParams; }

        public double ratio() { return fileBytes == 0 ? 0 : (double) sourceFp16Bytes / fileBytes; }

        public double meanError() { return layers.stream().mapToDouble(LayerReport::relativeError).average().orElse(0); }

        public double maxError() { return layers.stream().mapToDouble(LayerReport::relativeError).max().orElse(0); }

        /** Mean output error over the layers that have one (NaN when none was calibrated). */
        public double meanOutputError() {
            return layers.stream().mapToDouble(LayerReport::outputError).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
        }
    }

    /** {@code --eval}: per-document perplexity of the original and the compressed model. */
    public record Evaluation(String file, int documents, long tokens, double original, double compressed) {}

    public Summary run(SourceModel model, Path output, ObjectNode source) {
        long start = System.nanoTime();
        LayerSelector selector = new LayerSelector(options.minDim(), options.includeLmHead());
        List<Tensor> all = new ArrayList<>(model.tensors().values());
        List<Boolean> compress = new ArrayList<>();
        long totalBytes = 0, sourceFp16 = 0;
        for (Tensor t : all) sourceFp16 += 2 * t.elementCount();
        Tensor tiedHead = tiedHeadCopy(model);
        if (tiedHead != null) all.add(tiedHead);
        for (Tensor t : all) {
            String why = selector.skipReason(t);
            if (why == null && !t.dtype().isCompressible())
                throw new LortException("tensor '" + t.name() + "' has dtype " + t.dtype() + ", which LoRT cannot compress (F32, F16 and BF16 only); raise --min-dim to leave it out or convert the model");
            compress.add(why == null);
            if (why != null && options.verbose() && !options.quiet()) report.println("skip " + t.name() + " " + shape(t) + " " + t.dtype() + ": " + why);
            totalBytes += t.byteSize();
        }
        if (!compress.contains(true))
            throw new LortException("no tensor qualifies for compression (2-D, both dims >= --min-dim " + options.minDim() + ", not an embedding/head/norm); lower --min-dim");

        CalibratedPass.Outcome calibrated = null;
        if (options.calibration() != null) {
            java.util.Set<String> selected = new java.util.HashSet<>();
            for (int i = 0; i < all.size(); i++) if (compress.get(i)) selected.add(all.get(i).name());
            try {
                calibrated = CalibratedPass.run(model, selected, options, report);
            } catch (CalibratedPass.Unsupported e) {
                report.println("method calibrated: the engine cannot run this model (" + e.getMessage() + "); using --method als");
            }
        }
        String method = calibrated != null ? "calibrated" : "als";
        java.util.Map<String, CalibratedPass.Layer> precomputed = calibrated != null ? calibrated.layers() : java.util.Map.of();

        List<LayerReport> reports = new ArrayList<>();
        long compressedParams = 0, keptParams = 0, compressedBits = 0;
        ProgressBar bar = new ProgressBar("compress", totalBytes, true, options.quiet());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.threads()), r -> {
            Thread th = new Thread(r, "lort-decompose");
            th.setDaemon(true);
            return th;
        });
        try (LortWriter writer = LortWriter.create(output)) {
            for (Map.Entry<String, Path> f : model.metadataFiles().entrySet()) writer.addFile(f.getKey(), readAll(f.getValue()));
            Deque<Future<Decomposed>> inFlight = new ArrayDeque<>();
            int next = 0; // next tensor to submit
            long done = 0;
            for (int i = 0; i < all.size(); i++) {
                // Keep up to threads+1 layers decomposing ahead of the writer.
                while (next < all.size() && inFlight.size() <= options.threads()) {
                    if (compress.get(next) && !precomputed.containsKey(all.get(next).name())) {
                        Tensor t = all.get(next);
                        inFlight.add(pool.submit(() -> decompose(t)));
                    }
                    next++;
                }
                Tensor t = all.get(i);
                bar.suffix(t.name());
                if (compress.get(i) && precomputed.containsKey(t.name())) {
                    CalibratedPass.Layer cl = precomputed.get(t.name());
                    CompressedLayer r = cl.layer();
                    double bpw = options.bitsPerWeight(r.rows(), r.cols(), r.rank());
                    LayerReport lr = new LayerReport(t.name(), r.rows(), r.cols(), r.rank(), cl.weightError(), Double.NaN, bpw, 0, cl.seconds(), cl.outputError());
                    writer.addLayer(r, layerInfo(lr));
                    reports.add(lr);
                    compressedParams += t.elementCount();
                    compressedBits += Math.round(bpw * t.elementCount());
                    if (!options.quiet()) {
                        bar.clearLine();
                        report.printf(java.util.Locale.ROOT, "%-48s %6d x %-6d rank %3d  error %.4f  output error %.4f  %.3f bpw%n",
                                t.name(), r.rows(), r.cols(), r.rank(), cl.weightError(), cl.outputError(), bpw);
                    }
                } else if (compress.get(i)) {
                    Decomposed d = await(inFlight.poll());
                    AlsDecomposer.Result r = d.result();
                    double bpw = options.bitsPerWeight(r.rows(), r.cols(), r.rank());
                    LayerReport lr = new LayerReport(t.name(), r.rows(), r.cols(), r.rank(), r.relativeError(), r.ternaryOnlyError(), bpw, r.iterations(), d.seconds());
                    writer.addLayer(t.name(), r.rows(), r.cols(), r.rank(), options.packing(), options.scaleFormat(), d.rotation(), r.scales(), r.t(), r.a(), r.b(), layerInfo(lr));
                    reports.add(lr);
                    compressedParams += t.elementCount();
                    compressedBits += Math.round(bpw * t.elementCount());
                    if (!options.quiet()) {
                        bar.clearLine();
                        report.printf(java.util.Locale.ROOT, "%-48s %6d x %-6d rank %3d  error %.4f  %.3f bpw%n", t.name(), r.rows(), r.cols(), r.rank(), r.relativeError(), bpw);
                    }
                } else {
                    writer.addTensor(t);
                    keptParams += t.elementCount();
                }
                ai.lort.load.PageCache.release(t.data());
                done += t.byteSize();
                bar.update(done);
            }
            bar.finish(done);
            ObjectNode meta = JsonNodeFactory.instance.objectNode();
            meta.put("created_by", "LoRT " + ai.lort.Version.current());
            meta.put("created", java.time.Instant.now().toString());
            meta.put("method", method);
            meta.set("source", source);
            meta.set("options", optionsJson());
            long fileEstimate = writer.size();
            Summary partial = new Summary(reports, compressedParams, keptParams, compressedBits, fileEstimate, sourceFp16, 0, method, calibrated, null);
            ObjectNode sum = meta.putObject("summary");
            sum.put("compressed_layers", reports.size());
            sum.put("compressed_params", compressedParams);
            sum.put("kept_params", keptParams);
            sum.put("bits_per_weight", partial.bitsPerWeight());
            sum.put("mean_error", partial.meanError());
            sum.put("max_error", partial.maxError());
            if (calibrated != null) sum.put("mean_output_error", partial.meanOutputError());
            writer.finish(meta);
        } finally {
            pool.shutdownNow();
        }
        long fileBytes;
        try {
            fileBytes = Files.size(output);
        } catch (IOException e) {
            throw new LortException("cannot stat " + output + ": " + e.getMessage());
        }
        Evaluation evaluation = options.eval() == null ? null : Evaluator.evaluate(model, output, options.eval(), options.threads());
        return new Summary(reports, compressedParams, keptParams, compressedBits, fileBytes, sourceFp16, (System.nanoTime() - start) / 1e9,
                method, calibrated, evaluation);
    }

    /**
     * With --include-lm-head and tied embeddings (no lm_head.weight: the embedding table is also the
     * output head), a compressed copy of the table stored as lm_head.weight. The engine prefers
     * lm_head.weight when present, so every token then reads the head at ~2 bits per weight
     * instead of the whole dense table, while token lookups keep the exact embedding rows.
     */
    private Tensor tiedHeadCopy(SourceModel model) {
        if (!options.includeLmHead() || model.tensors().containsKey("lm_head.weight")) return null;
        Tensor emb = model.tensors().get("model.embed_tokens.weight");
        if (emb == null || emb.rank() != 2) return null;
        if (!options.quiet()) report.println("lm_head.weight: the embedding is tied to the output head; compressing a copy of it as lm_head.weight");
        return new Tensor("lm_head.weight", emb.dtype(), emb.shape(), emb.data());
    }

    private record Decomposed(AlsDecomposer.Result result, ai.lort.pack.Hadamard rotation, double seconds) {}

    private Decomposed decompose(Tensor t) {
        long t0 = System.nanoTime();
        int m = t.rows(), n = t.cols();
        float[] w = t.toFloats();
        for (int i = 0; i < w.length; i++)
            if (!Float.isFinite(w[i]))
                throw new LortException("tensor '" + t.name() + "' holds " + w[i] + " at row " + (i / n) + ", column " + (i % n) + "; the model is broken, fix or re-download it");
        int rank = options.rankFor(m, n);
        long seed = options.seed() * 0x9E3779B97F4A7C15L ^ t.name().hashCode();
        ai.lort.pack.Hadamard rot = options.rotationFor(n, seed);
        if (rot != null) rot.rotateRows(w, m, 1); // fit W·Rᵀ; R is orthogonal, so the weight error is the same in either basis
        AlsDecomposer.Result r = AlsDecomposer.decompose(w, m, n, rank, options.iterations(), seed, options.scaleBits() == 16);
        return new Decomposed(r, rot, (System.nanoTime() - t0) / 1e9);
    }

    private static Decomposed await(Future<Decomposed> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LortException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    private ObjectNode optionsJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("min_dim", options.minDim());
        if (options.rank() != null) o.put("rank", options.rank()); else o.put("bpw", options.bpw());
        o.put("iters", options.iterations());
        o.put("seed", options.seed());
        o.put("include_lm_head", options.includeLmHead());
        o.put("packing", options.packing());
        o.put("scales", options.scaleFormat());
        o.put("rotation", options.rotation());
        Calibration c = options.calibration();
        if (c != null) {
            ObjectNode k = o.putObject("calibration");
            k.put("source", c.self() ? "self" : c.file().getFileName().toString());
            k.put("samples", c.samples());
            k.put("length", c.length());
            k.put("beta", c.beta());
            k.put("sweeps", c.sweeps());
            k.put("alternations", c.alternations());
        }
        return o;
    }

    private static ObjectNode layerInfo(LayerReport r) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("relative_error", r.relativeError());
        if (!Double.isNaN(r.ternaryOnlyError())) o.put("ternary_only_error", r.ternaryOnlyError());
        o.put("bits_per_weight", r.bitsPerWeight());
        o.put("iterations", r.iterations());
        if (!Double.isNaN(r.outputError())) o.put("output_error", r.outputError());
        return o;
    }

    private static String shape(Tensor t) { return java.util.Arrays.toString(t.shape()); }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new LortException("cannot read " + p + ": " + e.getMessage());
        }
    }
}
