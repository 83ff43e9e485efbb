package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.engine.cuda.DeviceChoice;
import ai.lort.engine.cuda.Devices;
import ai.lort.eval.Perplexity;
import ai.lort.model.LlamaModel;
import ai.lort.model.ModelConfig;
import ai.lort.tokenizer.Tokenizer;
import ai.lort.util.ProgressBar;
import ai.lort.weights.WeightSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Perplexity of a model on a text: consecutive --ctx-token windows, each from an empty cache, every token but a window's first scored.")
public final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "A .lort file, a safetensors model folder or file, or a Hugging Face id (org/name).")
    String model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", description = "A text file, tokenized with the model's tokenizer (BOS prepended when its config says so).")
        Path text;

        @Option(names = "--tokens", description = "A file of whitespace-separated token ids, used as they are.")
        Path tokens;
    }

    @Option(names = "--ctx", description = "Window length in tokens (default: max_position_embeddings, at most 2048).")
    Integer ctx;

    @Option(names = "--json", description = "Print {\"tokens\":..,\"mean_nll\":..,\"perplexity\":..}.")
    boolean json;

    @Option(names = "--revision", paramLabel = "<REV>", description = "Hub revision (branch, tag or commit) when --model is a hub id.")
    String revision;

    @Option(names = "--threads", description = "Worker threads (default: the number of cores).")
    Integer threads;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "Where to run: auto (CUDA when a GPU is usable, else CPU; says which on stderr), cpu or cuda [default: ${DEFAULT-VALUE}]")
    String device;

    @Override
    public Integer call() {
        try (WeightSource weights = ModelWeights.open(model, revision, false)) {
            ModelConfig config = ModelConfig.load(weights);
            int window = ctx != null ? ctx : Math.min(config.maxPositions(), 2048);
            if (window < 2) throw new LortException("--ctx must be at least 2");
            int[] ids = input.tokens != null ? readIds(input.tokens) : Tokenizer.load(weights::file).encode(readText(input.text), true);
            try (LlamaModel m = LlamaModel.load(weights, Devices.backend(DeviceChoice.parse(device), InferCommand.threads(threads), System.err, weights), window)) {
                ProgressBar progress = new ProgressBar("eval", ids.length, false, json || System.console() == null || !System.console().isTerminal());
                Perplexity.Result r = Perplexity.evaluate(m, ids, window, progress);
                progress.finish(ids.length);
                PrintWriter out = spec.commandLine().getOut();
                if (json) out.println(r.json());
                else out.printf(Locale.ROOT, "tokens: %d%nmean NLL: %.6f%nperplexity: %.6f%n", r.tokens(), r.meanNll(), r.perplexity());
                out.flush();
            }
        }
        return 0;
    }

    static int[] readIds(Path file) {
        String s = readText(file).strip();
        if (s.isEmpty()) throw new LortException(file + ": no token ids in the file");
        String[] parts = s.split("\\s+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new LortException(file + ": '" + parts[i] + "' is not a token id (the file should hold whitespace-separated integers; use --text for text)");
            }
        }
        return ids;
    }

    static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new LortException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
