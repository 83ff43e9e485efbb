package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.api.LortModel;
import ai.lort.api.PerplexityResult;
import ai.lort.util.ProgressBar;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Perplexity of a model on a text: consecutive --ctx-token windows, each from an empty cache, every token but a window's first scored.")
public final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ModelOption model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", description = "A text file, tokenized with the model's tokenizer (BOS prepended when its config says so).")
        Path text;

        @Option(names = "--tokens", description = "A file of whitespace-separated token ids, used as they are.")
        Path tokens;
    }

    @Mixin ContextOption ctx;

    @Option(names = "--json", description = "Print {\"tokens\":..,\"mean_nll\":..,\"perplexity\":..}.")
    boolean json;

    @Mixin ThreadsOption threads;

    @Mixin DeviceOption device;

    @Override
    public Integer call() {
        try (LortModel m = model.open(threads, device, ctx.requested(), 1, 0)) {
            int window = ctx.requested() > 0 ? ctx.requested() : Math.min(m.contextLength(), ContextOption.EVAL_CAP);
            if (window < 2) throw new LortException("the model's context is " + m.contextLength() + " tokens; give --ctx (at least 2)");
            int[] ids = input.tokens != null ? readIds(input.tokens) : m.tokenize(readText(input.text));
            ProgressBar progress = new ProgressBar("eval", ids.length, false, false);
            PerplexityResult r = m.perplexity(ids, window, progress::update);
            progress.finish(ids.length);
            PrintWriter out = spec.commandLine().getOut();
            if (json) out.println(String.format(Locale.ROOT, "{\"tokens\":%d,\"mean_nll\":%.9f,\"perplexity\":%.9f}", r.tokens(), r.meanNll(), r.perplexity()));
            else out.printf(Locale.ROOT, "tokens: %d%nmean NLL: %.6f%nperplexity: %.6f%n", r.tokens(), r.meanNll(), r.perplexity());
            out.flush();
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
                if (ids[i] < 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw new LortException(file + ": '" + parts[i] + "' is not a token id (the file should hold whitespace-separated integers; use --text for text)");
            }
        }
        return ids;
    }

    static String readText(Path file) {
        if (!Files.isRegularFile(file))
            throw new LortException(file + ": " + (Files.exists(file) ? "not a regular file (a device, pipe or socket)" : "no such file"));
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new LortException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
