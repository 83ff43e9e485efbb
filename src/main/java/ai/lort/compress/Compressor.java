package ai.lort.compress;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.calibrate.CalibratedPass;
import ai.lort.calibrate.Calibration;
import ai.lort.decompose.AlsDecomposer;
import ai.lort.decompose.LayerEncoding;
import ai.lort.decompose.LayerFit;
import ai.lort.decompose.RankPlanner;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortWriter;
import ai.lort.heal.HealOptions;
import ai.lort.heal.Healer;
import ai.lort.load.PageCache;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.ModelConfig;
import ai.lort.select.LayerSelector;
import ai.lort.util.ProgressBar;
import ai.lort.weights.SafetensorsWeights;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The compression pipeline, as named stages over one layer result ({@link LayerFit}):
 * <ol>
 *   <li>{@link #select}: which tensors are compressed (and the tied head's copy);
 *   <li>{@link #plan}: the ranks, spending the bit budget over the whole model;
 *   <li>{@link #calibrate}: the calibrated method fits every selected layer up front, in execution
 *       order (skipped by the weight-only method, or where the engine cannot run the model);
 *   <li>{@link #heal}: the fitted model is distilled toward the original end to end (the
 *       weight-only method then fits every layer up front too);
 *   <li>{@link #write}: in the source's tensor order, each selected layer is fitted by the
 *       weight-only method unless an earlier stage did (on {@code threads} workers, one layer
 *       each, at most {@code threads + 1} ahead of the writer, so peak memory follows the largest
 *       layer, not the model), and every tensor goes to the file;
 *   <li>{@link Evaluator}: with {@code --eval}, perplexity before and after.
 * </ol>
 */
public final class Compressor {
    private CompressOptions options;
    private final PrintStream report;

    /** @param report where per-layer lines go (stdout normally, stderr under --json) */
    public Compressor(CompressOptions options, PrintStream report) {
        this.options = options;
        this.report = report;
    }

    /**
     * Result of a run, for the summary.
     *
     * @param sourceBytes the source's tensors in their own dtypes
     * @param stages      seconds of each stage that ran, in order (select, calibrate, write, evaluate)
     */
    public record Summary(List<LayerFit> layers, long compressedParams, long keptParams, long compressedBits,
                          long fileBytes, long sourceFp16Bytes, long sourceBytes, double seconds, String method,
                          CalibratedPass.Outcome calibration, Healer.Result heal, Evaluation evaluation, Map<String, Double> stages) {
        public double bitsPerWeight() { return compressedParams == 0 ? 0 : (double) compressedBits / compressedParams; }

        public double ratio() { return fileBytes == 0 ? 0 : (double) sourceFp16Bytes / fileBytes; }

        public double meanError() { return layers.stream().mapToDouble(LayerFit::weightError).average().orElse(0); }

        public double maxError() { return layers.stream().mapToDouble(LayerFit::weightError).max().orElse(0); }

        /** Mean output error over the layers that have one (NaN when none was calibrated). */
        public double meanOutputError() {
            return layers.stream().mapToDouble(LayerFit::outputError).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
        }
    }

    /** {@code --eval}: per-document perplexity of the original and the compressed model. */
    public record Evaluation(String file, int documents, long tokens, double original, double compressed) {}

    /** The tensors of the output in order, and which of them are compressed. */
    record Selection(List<Tensor> tensors, boolean[] compressed, long sourceFp16Bytes, long sourceBytes) {
        Set<String> compressedNames() {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < tensors.size(); i++) if (compressed[i]) names.add(tensors.get(i).name());
            return names;
        }

        long bytes() { return tensors.stream().mapToLong(Tensor::byteSize).sum(); }
    }

    /** Counts of what the file holds. */
    private record Written(List<LayerFit> layers, long compressedParams, long keptParams, long compressedBits) {}

    public Summary run(SourceModel model, Path output, ObjectNode source) {
        long start = System.nanoTime();
        Preflight.checkOutput(model, output, options);
        Preflight.checkConfig(model);
        Map<String, Double> stages = new LinkedHashMap<>();
        Selection selection = timed(stages, "select", () -> select(model));
        if (options.planRanks() && options.encoding().rank() == null) timed(stages, "plan", () -> plan(selection));
        CalibratedPass.Outcome calibrated = timed(stages, "calibrate", () -> calibrate(model, selection));
        if (calibrated == null) stages.remove("calibrate");
        String method = calibrated != null ? "calibrated" : "als";
        Map<String, LayerFit> fitted = calibrated != null ? calibrated.layers()
                : options.healing() ? timed(stages, "fit", () -> fitAll(selection)) : Map.of();
        Map<String, EmbeddingFormat.Stored> kept = keptMatrices(selection);
        Healer.Result healed = options.healing() && engineRuns(model, "healing") ? timed(stages, "heal", () -> heal(model, fitted, kept)) : null;
        Map<String, LayerFit> toWrite = healed != null ? healedFits(fitted, healed) : fitted;
        Written written = timed(stages, "write", () -> write(model, selection, toWrite, kept, healed, calibrated, method, output, source));
        long fileBytes;
        try {
            fileBytes = Files.size(output);
        } catch (IOException e) {
            throw new LortException("cannot stat " + output + ": " + e.getMessage());
        }
        Evaluation evaluation = options.eval() == null ? null
                : timed(stages, "evaluate", () -> Evaluator.evaluate(model, output, options.eval(), options.threads(), options.quiet()));
        return new Summary(written.layers, written.compressedParams, written.keptParams, written.compressedBits, fileBytes,
                selection.sourceFp16Bytes, selection.sourceBytes, (System.nanoTime() - start) / 1e9, method, calibrated, healed, evaluation,
                Collections.unmodifiableMap(stages));
    }

    /** Runs one stage, adding its wall time to {@code stages} under {@code name}. */
    private static <T> T timed(Map<String, Double> stages, String name, Supplier<T> stage) {
        long t0 = System.nanoTime();
        try {
            return stage.get();
        } finally {
            stages.put(name, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Stage 1: the source's tensors (plus a compressed copy of a tied head, when asked) and which are compressed. */
    Selection select(SourceModel model) {
        LayerSelector selector = new LayerSelector(options.minDim(), options.includeLmHead());
        List<Tensor> all = new ArrayList<>(model.tensors().values());
        long sourceFp16 = 0, sourceBytes = 0;
        for (Tensor t : all) {
            sourceFp16 += 2 * t.elementCount();
            sourceBytes += t.byteSize();
        }
        Tensor tiedHead = tiedHeadCopy(model);
        if (tiedHead != null) all.add(tiedHead);
        boolean[] compress = new boolean[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Tensor t = all.get(i);
            String why = selector.skipReason(t);
            if (why == null && !t.dtype().isCompressible())
                throw new LortException("tensor '" + t.name() + "' has dtype " + t.dtype() + ", which LoRT cannot compress (F32, F16 and BF16 only); raise --min-dim to leave it out or convert the model");
            compress[i] = why == null;
            if (why != null && options.verbose() && !options.quiet()) report.println("skip " + t.name() + " " + Arrays.toString(t.shape()) + " " + t.dtype() + ": " + why);
        }
        Selection s = new Selection(all, compress, sourceFp16, sourceBytes);
        if (s.compressedNames().isEmpty())
            throw new LortException("no tensor qualifies for compression (2-D, both dims >= --min-dim " + options.minDim() + ", not an embedding/head/norm); lower --min-dim");
        return s;
    }

    /** Stage 2: the ranks of every selected layer, planned over the model ({@link RankPlanner#plan}), into the options' encoding. */
    Map<String, Integer> plan(Selection selection) {
        List<RankPlanner.Layer> layers = new ArrayList<>();
        for (int i = 0; i < selection.tensors.size(); i++) {
            Tensor t = selection.tensors.get(i);
            if (selection.compressed[i]) layers.add(new RankPlanner.Layer(t.name(), t.rows(), t.cols(), t::toFloats));
        }
        Map<String, Integer> ranks = RankPlanner.plan(layers, options.encoding(), options.threads());
        options = new CompressOptions(options.minDim(), options.encoding().withPlan(ranks), options.iterations(), options.threads(),
                options.includeLmHead(), options.verbose(), options.quiet(), options.calibration(), options.eval(), options.heal(), true, options.embeddings());
        if (options.verbose() && !options.quiet())
            for (RankPlanner.Layer l : layers) report.println("plan " + l.name() + ": rank " + ranks.get(l.name()));
        return ranks;
    }

    /**
     * The embedding and head as {@code --embeddings} stores them (group-quantized, narrowed to BF16,
     * or the source's own), for every such tensor that is kept rather than compressed.
     */
    private Map<String, EmbeddingFormat.Stored> keptMatrices(Selection selection) {
        Map<String, EmbeddingFormat.Stored> out = new LinkedHashMap<>();
        for (int i = 0; i < selection.tensors.size(); i++) {
            Tensor t = selection.tensors.get(i);
            if (!selection.compressed[i] && EmbeddingFormat.appliesTo(t)) out.put(t.name(), options.embeddings().store(t, options.threads()));
        }
        return out;
    }

    /** Stage 3: the calibrated method's fits of every selected layer, or null for the weight-only method. */
    CalibratedPass.Outcome calibrate(SourceModel model, Selection selection) {
        Calibration calibration = options.calibration();
        if (calibration == null) return null;
        try {
            return new CalibratedPass(calibration, options.encoding(), options.threads(), options.verbose(), options.quiet() ? null : report)
                    .run(model, selection.compressedNames());
        } catch (CalibratedPass.Unsupported e) {
            report.println("method calibrated: the engine cannot run this model (" + e.getMessage() + "); using --method als");
            return null;
        }
    }

    /** The weight-only method's fits of every selected layer at once (healing needs them all before writing). */
    private Map<String, LayerFit> fitAll(Selection selection) {
        Map<String, LayerFit> out = new LinkedHashMap<>();
        for (int i = 0; i < selection.tensors.size(); i++)
            if (selection.compressed[i]) out.put(selection.tensors.get(i).name(), fitWeightOnly(selection.tensors.get(i)));
        return out;
    }

    /** Whether the engine runs the model (a stage that needs it is skipped, with a note, when not). */
    private boolean engineRuns(SourceModel model, String stage) {
        try {
            ModelConfig.load(new SafetensorsWeights(model));
            return true;
        } catch (LortException e) {
            if (!options.quiet()) report.println(stage + " skipped: the engine cannot run this model (" + e.getMessage() + ")");
            return false;
        }
    }

    /** Stage 4: distils the fitted layers (and the norms and biases) toward the original model. */
    Healer.Result heal(SourceModel model, Map<String, LayerFit> fitted, Map<String, EmbeddingFormat.Stored> kept) {
        Map<String, CompressedLayer> layers = new LinkedHashMap<>();
        fitted.forEach((name, fit) -> layers.put(name, fit.layer()));
        // The student runs the embedding and head as they will be stored; the teacher stays the original.
        Map<String, float[]> stored = new LinkedHashMap<>();
        kept.forEach((name, k) -> {
            if (k.quantized() != null || k.plain().dtype() != model.tensor(name).dtype()) stored.put(name, k.floats());
        });
        SafetensorsWeights teacher = new SafetensorsWeights(model); // not closed: the caller owns the model
        String shortfall = Healer.heapShortfall(ModelConfig.load(teacher), teacher.has("lm_head.weight"), layers, options.heal());
        if (shortfall != null) {
            if (!options.quiet()) report.println("heal skipped: " + shortfall);
            return null;
        }
        ProgressBar[] bar = new ProgressBar[1]; // made at the first step, when the planned steps are known
        Healer.Result r = Healer.run(teacher, layers, stored, options.heal(), options.encoding().seed(), options.threads(),
                (step, steps, train, held) -> {
                    if (bar[0] == null) bar[0] = new ProgressBar("heal", steps, false, options.quiet());
                    bar[0].suffix(String.format(Locale.ROOT, "loss %.4f, held-out %.4f", train, held));
                    bar[0].update(step);
                });
        if (bar[0] != null) bar[0].finish(r.steps());
        if (r.codeUpdatesOff() != null && !options.quiet()) report.println("heal: ternary code updates were off: " + r.codeUpdatesOff());
        return r;
    }

    /** The fits with their healed layers (the fits' errors are those before healing). */
    private static Map<String, LayerFit> healedFits(Map<String, LayerFit> fitted, Healer.Result healed) {
        Map<String, LayerFit> out = new LinkedHashMap<>();
        fitted.forEach((name, f) -> out.put(name, new LayerFit(healed.layers().getOrDefault(name, f.layer()), f.weightError(),
                f.ternaryOnlyError(), f.outputError(), f.iterations(), f.seconds())));
        return out;
    }

    /** Stage 5: fits what the earlier stages did not, and writes the file in the source's tensor order. */
    private Written write(SourceModel model, Selection selection, Map<String, LayerFit> fitted, Map<String, EmbeddingFormat.Stored> kept, Healer.Result healed,
                          CalibratedPass.Outcome calibrated, String method, Path output, ObjectNode source) {
        Map<String, float[]> vectors = healed != null ? healed.vectors() : Map.of();
        List<Tensor> all = selection.tensors;
        List<LayerFit> layers = new ArrayList<>();
        long compressedParams = 0, keptParams = 0, compressedBits = 0;
        ProgressBar bar = new ProgressBar("compress", selection.bytes(), true, options.quiet());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.threads()), r -> {
            Thread th = new Thread(r, "lort-decompose");
            th.setDaemon(true);
            return th;
        });
        try (LortWriter writer = LortWriter.create(output)) {
            for (Map.Entry<String, Path> f : model.metadataFiles().entrySet()) writer.addFile(f.getKey(), readAll(f.getValue()));
            Deque<Future<LayerFit>> inFlight = new ArrayDeque<>();
            int next = 0; // next tensor to submit
            long done = 0;
            for (int i = 0; i < all.size(); i++) {
                // Keep up to threads + 1 layers fitting ahead of the writer.
                for (; next < all.size() && inFlight.size() <= options.threads(); next++) {
                    Tensor t = all.get(next);
                    if (selection.compressed[next] && !fitted.containsKey(t.name())) inFlight.add(pool.submit(() -> fitWeightOnly(t)));
                }
                Tensor t = all.get(i);
                bar.suffix(t.name());
                if (selection.compressed[i]) {
                    LayerFit fit = fitted.containsKey(t.name()) ? fitted.get(t.name()) : await(inFlight.poll());
                    writer.addLayer(fit.layer(), FileMetadata.layerInfo(fit));
                    layers.add(fit);
                    compressedParams += t.elementCount();
                    compressedBits += Math.round(fit.bitsPerWeight() * t.elementCount());
                    if (!options.quiet()) {
                        bar.clearLine();
                        reportLayer(fit);
                    }
                } else if (kept.containsKey(t.name())) {
                    EmbeddingFormat.Stored k = kept.get(t.name());
                    if (k.quantized() != null) writer.addQuantized(k.quantized());
                    else writer.addTensor(k.plain());
                    keptParams += t.elementCount();
                } else {
                    float[] trained = vectors.get(t.name());
                    writer.addTensor(trained == null ? t : Tensor.of(t.name(), t.dtype(), t.shape(), trained));
                    keptParams += t.elementCount();
                }
                PageCache.release(t.data());
                done += t.byteSize();
                bar.update(done);
            }
            bar.finish(done);
            long compressedCount = compressedParams, compressedStored = compressedBits;
            writer.finish(FileMetadata.metadata(options, method, source, calibrated, healed, layers, compressedCount, keptParams, compressedStored));
        } finally {
            pool.shutdownNow();
        }
        return new Written(layers, compressedParams, keptParams, compressedBits);
    }

    /** The weight-only method's fit of one tensor. */
    private LayerFit fitWeightOnly(Tensor t) {
        int m = t.rows(), n = t.cols();
        float[] w = t.toFloats();
        for (int i = 0; i < w.length; i++)
            if (!Float.isFinite(w[i]))
                throw new LortException("tensor '" + t.name() + "' holds " + w[i] + " at row " + (i / n) + ", column " + (i % n) + "; the model is broken, fix or re-download it");
        return AlsDecomposer.fit(t.name(), w, m, n, options.encoding(), options.iterations());
    }

    private void reportLayer(LayerFit fit) {
        var l = fit.layer();
        String output = Double.isNaN(fit.outputError()) ? "" : String.format(Locale.ROOT, "  output error %.4f", fit.outputError());
        report.printf(Locale.ROOT, "%-48s %6d x %-6d rank %3d  error %.4f%s  %.3f bpw%n",
                l.name(), l.rows(), l.cols(), l.rank(), fit.weightError(), output, fit.bitsPerWeight());
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

    private static LayerFit await(Future<LayerFit> f) {
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

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new LortException("cannot read " + p + ": " + e.getMessage());
        }
    }
}
