package ai.lort.compress;

import ai.lort.LortException;
import ai.lort.calibrate.CalibrationData;
import ai.lort.engine.cpu.CpuBackend;
import ai.lort.eval.Perplexity;
import ai.lort.format.LortFile;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.util.ProgressBar;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.WeightSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * {@code --eval FILE}: per-document perplexity (documents separated by {@code <|endoftext|>} lines,
 * each from position 0 with BOS) of the original model and of the written .lort file, run as
 * {@code lort eval} runs it (CPU kernels).
 */
final class Evaluator {
    private Evaluator() {}

    static Compressor.Evaluation evaluate(SourceModel model, Path lort, Path text, int threads, boolean quiet) {
        String content;
        try {
            content = Files.readString(text);
        } catch (IOException e) {
            throw new LortException("--eval " + text + ": cannot read (" + e.getMessage() + ")");
        }
        SafetensorsWeights weights = new SafetensorsWeights(model); // not closed: the caller owns the model
        ModelConfig config;
        try {
            config = ModelConfig.load(weights);
        } catch (LortException e) {
            throw new LortException("--eval needs a model the engine runs: " + e.getMessage());
        }
        int ctx = Math.min(config.maxPositions(), 2048);
        Tokenizer tok = Tokenizer.load(weights::file);
        List<int[]> docs = new ArrayList<>();
        for (String d : CalibrationData.documents(content)) docs.add(tok.encode(d, true));
        if (docs.isEmpty()) throw new LortException("--eval " + text + ": no text");
        long tokens = docs.stream().mapToLong(d -> d.length).sum();
        ProgressBar bar = new ProgressBar("eval", 2 * tokens, false, quiet);
        Perplexity.Result original = perplexity(weights, docs, ctx, threads, done -> bar.update(done));
        try (ai.lort.weights.LortWeights file = new ai.lort.weights.LortWeights(LortFile.openVerified(lort))) {
            Perplexity.Result compressed = perplexity(file, docs, ctx, threads, done -> bar.update(tokens + done));
            bar.finish(2 * tokens);
            return new Compressor.Evaluation(text.toString(), docs.size(), original.tokens(), original.perplexity(), compressed.perplexity());
        }
    }

    private static Perplexity.Result perplexity(WeightSource w, List<int[]> docs, int ctx, int threads, LongConsumer progress) {
        try (LlamaModel m = LlamaModel.load(w, new CpuBackend(threads), ctx)) {
            return Perplexity.evaluateDocuments(m, docs, ctx, progress);
        }
    }
}
