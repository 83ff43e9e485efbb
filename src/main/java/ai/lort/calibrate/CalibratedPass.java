package ai.lort.calibrate;

import ai.lort.LortException;
import ai.lort.decompose.CalibratedDecomposer;
import ai.lort.decompose.LayerEncoding;
import ai.lort.decompose.LayerFit;
import ai.lort.format.CompressedLayer;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.ModelConfig;
import ai.lort.pack.Hadamard;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.util.ProgressBar;
import ai.lort.weights.SafetensorsWeights;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calibrated method: the selected projection layers are fitted in execution order by
 * {@link CalibrationRunner} (the statistics, layer by layer through the model) and
 * {@link CalibratedDecomposer} (each layer's fit to them), before anything is written (the writer
 * then stores them in the source's tensor order).
 */
public final class CalibratedPass {
    private final Calibration calibration;
    private final LayerEncoding encoding;
    private final int threads;
    private final boolean verbose;
    private final PrintStream report;

    /** @param report where progress lines go, or null for none */
    public CalibratedPass(Calibration calibration, LayerEncoding encoding, int threads, boolean verbose, PrintStream report) {
        this.calibration = calibration;
        this.encoding = encoding;
        this.threads = threads;
        this.verbose = verbose;
        this.report = report;
    }

    /**
     * What the pass produced, and where its time went: preparing the calibration data, running the
     * two streams through the layers, the statistics (H, W·C) and the decompositions.
     */
    public record Outcome(Map<String, LayerFit> layers, int sequences, long tokens, double dataSeconds,
                          CalibrationRunner.Timings timings, double totalSeconds) {}

    /**
     * Fits every layer in {@code selected}. Throws {@link Unsupported} when the engine cannot run the
     * architecture (the caller falls back to the weight-only method).
     */
    public Outcome run(SourceModel model, Set<String> selected) {
        long t0 = System.nanoTime();
        SafetensorsWeights weights = new SafetensorsWeights(model); // not closed: the caller owns the model
        ModelConfig config;
        try {
            config = ModelConfig.load(weights);
        } catch (ModelConfig.Unsupported e) {
            throw new Unsupported(e.getMessage());
        }
        int context = Math.min(config.maxPositions(), Math.max(2, calibration.length()));
        Map<String, LayerFit> layers = new ConcurrentHashMap<>();
        try (CalibrationRunner runner = new CalibrationRunner(weights, threads, context)) {
            List<int[]> data = sequences(weights, config, runner, context);
            if (data.isEmpty()) throw new LortException("no calibration sequences of 2 tokens or more; give a longer --calibration text");
            long tokens = data.stream().mapToLong(s -> s.length).sum();
            double dataSeconds = (System.nanoTime() - t0) / 1e9;
            if (report != null)
                report.printf(Locale.ROOT, "calibration: %d sequences, %,d tokens (%s, %.1f s)%n", data.size(), tokens,
                        calibration.self() ? "sampled by the model" : calibration.source(), dataSeconds);
            ProgressBar bar = new ProgressBar("calibrate", selected.size(), false, report == null);
            runner.run(data, selected::contains, (names, moments) -> {
                Map<String, CompressedLayer> out = new HashMap<>();
                for (String name : names) {
                    bar.suffix(name);
                    LayerFit fit = fit(model.tensor(name), moments);
                    layers.put(name, fit);
                    out.put(name, fit.layer());
                    if (verbose && report != null) {
                        bar.clearLine();
                        report.printf(Locale.ROOT, "calibrated %-48s output error %.4f (%.1f s)%n", name, fit.outputError(), fit.seconds());
                    }
                    bar.update(layers.size());
                }
                return out;
            });
            bar.finish(layers.size());
            return new Outcome(layers, data.size(), tokens, dataSeconds, runner.timings(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** One layer's fit to its calibration moments, in the rotated basis when the encoding rotates. */
    private LayerFit fit(Tensor t, CalibrationRunner.Moments moments) {
        long s0 = System.nanoTime();
        String name = t.name();
        int m = t.rows(), n = moments.n();
        float[] w = t.toFloats();
        long seed = encoding.layerSeed(name);
        var options = new CalibratedDecomposer.Options(calibration.beta(), encoding.rankFor(name, m, n), calibration.alternations(),
                calibration.sweeps(), encoding.halfScales(), threads);
        Hadamard rot = encoding.rotationFor(n, seed);
        float[] wc = calibration.beta() > 0 ? moments.weightTimesC(w, m) : null;
        float[] h = moments.h().clone(); // the decomposer damps its copy in place
        if (rot != null) {
            // Fit in the rotated basis: W·Rᵀ with inputs R·x, so H → R·H·Rᵀ and W·C → W·C·Rᵀ.
            rot.rotateRows(w, m, threads);
            if (wc != null) rot.rotateRows(wc, m, threads);
            rot.conjugate(h, threads);
        }
        CalibratedDecomposer.Result r = CalibratedDecomposer.decompose(w, m, n, h, wc, options, seed);
        CompressedLayer packed = encoding.pack(name, m, n, r.rank(), r.scales(), r.t(), r.a(), r.b(), rot);
        return new LayerFit(packed, r.weightError(), Double.NaN, r.outputError(), 0, (System.nanoTime() - s0) / 1e9);
    }

    private List<int[]> sequences(SafetensorsWeights weights, ModelConfig config, CalibrationRunner runner, int context) {
        Tokenizer tok = Tokenizer.load(weights::file);
        if (!calibration.self()) {
            String text;
            try {
                text = Files.readString(calibration.file());
            } catch (IOException e) {
                throw new LortException("--calibration " + calibration.source() + ": cannot read (" + e.getMessage() + ")");
            }
            return CalibrationData.fromText(tok, text, calibration.samples(), context);
        }
        // Sampling starts from the tokenizer's BOS, or else the model's bos_token_id (Qwen's
        // tokenizers have no BOS; their config names <|endoftext|>, the document separator).
        int bos = tok.bosId().orElse(config.bosId());
        if (bos < 0)
            throw new LortException("--calibration self needs a BOS token to sample from; neither the tokenizer nor config.json has one, give --calibration FILE");
        ProgressBar bar = new ProgressBar("sample", (long) calibration.samples() * (context - 1), false, report == null);
        List<int[]> sampled = CalibrationData.generate(runner.original(), bos, calibration.samples(), context, encoding.seed(), threads, null, bar)
                .stream().map(CalibrationData.Sampled::ids).toList();
        bar.finish((long) calibration.samples() * (context - 1));
        return sampled;
    }

    /** The engine does not run this architecture. */
    public static final class Unsupported extends RuntimeException {
        public Unsupported(String why) { super(why); }
    }
}
