package ai.lort.calibrate;

import ai.lort.LortException;
import ai.lort.calibrate.CalibrationData;
import ai.lort.calibrate.CalibrationRunner;
import ai.lort.compress.CompressOptions;
import ai.lort.decompose.CalibratedDecomposer;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFormat;
import ai.lort.load.SourceModel;
import ai.lort.load.Tensor;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.Tokenizer;
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
 * The calibrated method's first phase: all selected projection layers are decomposed in execution
 * order by {@link CalibrationRunner} + {@link CalibratedDecomposer}, before anything is written
 * (the writer then stores them in the source's tensor order).
 */
public final class CalibratedPass {
    private CalibratedPass() {}

    /** One decomposed layer, packed as it will be stored, its errors and the seconds its decomposition took. */
    public record Layer(CompressedLayer layer, double weightError, double outputError, double seconds) {}

    /**
     * What the pass produced, and where its time went: preparing the calibration data, running the
     * two streams through the layers, the statistics (H, W·C) and the decompositions.
     */
    public record Outcome(Map<String, Layer> layers, int sequences, long tokens, double dataSeconds,
                          CalibrationRunner.Timings timings, double totalSeconds) {}

    /**
     * Throws {@link Unsupported} when the engine cannot run the architecture (the caller falls back
     * to ALS).
     */
    public static Outcome run(SourceModel model, Set<String> selected, CompressOptions o, PrintStream report) {
        long t0 = System.nanoTime();
        SafetensorsWeights weights = new SafetensorsWeights(model); // not closed: the caller owns the model
        ModelConfig config;
        try {
            config = ModelConfig.load(weights);
        } catch (LortException e) {
            throw new Unsupported(e.getMessage());
        }
        Calibration cal = o.calibration();
        int context = Math.min(config.maxPositions(), Math.max(2, cal.length()));
        Map<String, Layer> layers = new ConcurrentHashMap<>();
        try (CalibrationRunner runner = new CalibrationRunner(weights, o.threads(), context)) {
            List<int[]> data = sequences(weights, config, runner, cal, context, o.seed(), o.threads());
            if (data.isEmpty()) throw new LortException("no calibration sequences of 2 tokens or more; give a longer --calibration text");
            long tokens = data.stream().mapToLong(s -> s.length).sum();
            double dataSeconds = (System.nanoTime() - t0) / 1e9;
            if (!o.quiet())
                report.printf(Locale.ROOT, "calibration: %d sequences, %,d tokens (%s, %.1f s)%n", data.size(), tokens,
                        cal.self() ? "sampled by the model" : cal.source(), dataSeconds);
            boolean f16 = LortFormat.SCALES_ROW_F16.equals(o.scaleFormat());
            runner.run(data, selected::contains, (names, moments) -> {
                Map<String, CompressedLayer> out = new HashMap<>();
                int n = moments.n();
                for (String name : names) {
                    long s0 = System.nanoTime();
                    Tensor t = model.tensor(name);
                    int m = t.rows();
                    float[] w = t.toFloats();
                    int rank = o.rankFor(m, n);
                    long seed = o.seed() * 0x9E3779B97F4A7C15L ^ name.hashCode();
                    var options = new CalibratedDecomposer.Options(cal.beta(), rank, cal.alternations(), cal.sweeps(), f16, o.threads());
                    ai.lort.pack.Hadamard rot = o.rotationFor(n, seed);
                    float[] wc = cal.beta() > 0 ? moments.weightTimesC(w, m) : null;
                    float[] h = moments.h().clone(); // the decomposer damps its copy in place
                    if (rot != null) {
                        // Fit in the rotated basis: W·Rᵀ with inputs R·x, so H → R·H·Rᵀ and W·C → W·C·Rᵀ.
                        rot.rotateRows(w, m, o.threads());
                        if (wc != null) rot.rotateRows(wc, m, o.threads());
                        rot.conjugate(h, o.threads());
                    }
                    CalibratedDecomposer.Result r = CalibratedDecomposer.decompose(w, m, n, h, wc, options, seed);
                    CompressedLayer packed = CompressedLayer.encode(name, m, n, r.rank(), o.packing(), o.scaleFormat(), r.scales(), r.t(), r.a(), r.b(), rot);
                    layers.put(name, new Layer(packed, r.weightError(), r.outputError(), (System.nanoTime() - s0) / 1e9));
                    out.put(name, packed);
                    if (o.verbose() && !o.quiet())
                        report.printf(Locale.ROOT, "calibrated %-48s output error %.4f (%.1f s)%n", name, r.outputError(), (System.nanoTime() - s0) / 1e9);
                }
                return out;
            });
            return new Outcome(layers, data.size(), tokens, dataSeconds, runner.timings(), (System.nanoTime() - t0) / 1e9);
        }
    }

    private static List<int[]> sequences(SafetensorsWeights weights, ModelConfig config, CalibrationRunner runner,
                                         Calibration cal, int context, long seed, int threads) {
        Tokenizer tok = Tokenizer.load(weights::file);
        if (!cal.self()) {
            String text;
            try {
                text = Files.readString(cal.file());
            } catch (IOException e) {
                throw new LortException("--calibration " + cal.source() + ": cannot read (" + e.getMessage() + ")");
            }
            return CalibrationData.fromText(tok, text, cal.samples(), context);
        }
        // Sampling starts from the tokenizer's BOS, or else the model's bos_token_id (Qwen's
        // tokenizers have no BOS; their config names <|endoftext|>, the document separator).
        int bos = tok.bosId().orElse(config.bosId());
        if (bos < 0)
            throw new LortException("--calibration self needs a BOS token to sample from; neither the tokenizer nor config.json has one, give --calibration FILE");
        return CalibrationData.generate(runner.original(), bos, cal.samples(), context, seed, threads);
    }

    /** The engine does not run this architecture. */
    public static final class Unsupported extends RuntimeException {
        Unsupported(String why) { super(why); }
    }
}
