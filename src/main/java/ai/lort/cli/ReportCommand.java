package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.format.LortFile;
import ai.lort.load.SourceModel;
import ai.lort.report.HtmlReport;
import ai.lort.report.ReportData;
import ai.lort.report.RunRecord;
import ai.lort.report.Samples;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Write a self-contained HTML report of a .lort file, with charts of what each layer stores and lost.",
                "It shows the model and options, totals, per-layer errors, ranks, bits and ternary codes over depth;",
                "with --run, a compression's stage timings, perplexity and samples too."},
        footer = {"", "Examples:",
                "  lort report model.lort                          (writes model.html)",
                "  lort compress -m M -o m.lort --json > run.json && lort report m.lort --run run.json -o m.html",
                "  lort report model.lort --prompt \"Once upon a time\" --original path/to/model"})
public final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "<FILE>", description = "The .lort file")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "<HTML>", description = "The report to write [default: FILE with .html for .lort]")
    Path output;

    @Option(names = "--run", paramLabel = "<JSON>", description = "A 'lort compress --json' summary of the run that wrote FILE: its stage timings, perplexity and sample")
    Path run;

    @Option(names = "--prompt", paramLabel = "<TEXT>", description = "Generate a greedy sample from FILE (and from --original) continuing this text")
    String prompt;

    @Option(names = "--original", paramLabel = "<MODEL>", description = "With --prompt: the original model (folder, file or hub id), for its sample beside the compressed one")
    String original;

    @Option(names = "--sample-tokens", paramLabel = "<N>", defaultValue = "" + Samples.DEFAULT_TOKENS,
            description = "Most tokens of each sample, 1 to 4096 [default: ${DEFAULT-VALUE}]")
    int sampleTokens;

    @Mixin RevisionOption revision;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print the report's data as one JSON document on stdout (docs/JSON.md)")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar or summary line; errors only (and the --json document)")
    boolean quiet;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) throw new LortException(file + ": no such file");
        if (!LortFile.looksLikeLort(file)) throw new LortException(file + " is not a .lort file (report reads what lort compress writes)");
        if (original != null && prompt == null) throw new LortException("--original goes with --prompt (it gives the original model's sample)");
        Ranges.check("--sample-tokens", sampleTokens, 1, 4096);
        Path html = output != null ? output : defaultOutput(file);
        RunRecord record = run == null ? RunRecord.empty() : RunRecord.fromJson(readJson(run));
        ReportData data;
        try (LortFile f = LortFile.open(file)) {
            if (prompt != null) record = record.withSample(sample(f));
            data = ReportData.read(f, record, threads.count(), quiet);
        }
        HtmlReport.write(data, html);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("output", html.toString());
            o.setAll(data.toJson());
            JsonOutput.print(out, o);
        } else if (!quiet) {
            out.println("report " + html + " (" + data.layers().size() + " layers)");
            out.flush();
        }
        return 0;
    }

    private RunRecord.Sample sample(LortFile f) {
        LortWeights compressed = new LortWeights(f); // not closed here: the caller closes f
        String fromFile = Samples.continuation(compressed, prompt, sampleTokens, threads.count())
                .orElseThrow(() -> new LortException(file + ": no sample (the file has no tokenizer, or the engine does not run its model)"));
        String fromOriginal = null;
        if (original != null) {
            try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(revision.locate(original, quiet).local()))) {
                fromOriginal = Samples.continuation(w, prompt, sampleTokens, threads.count())
                        .orElseThrow(() -> new LortException(original + ": no sample (no tokenizer, or the engine does not run it)"));
            }
        }
        return new RunRecord.Sample(prompt, sampleTokens, fromOriginal, fromFile);
    }

    static Path defaultOutput(Path lort) {
        String name = lort.getFileName().toString();
        String stem = name.endsWith(".lort") ? name.substring(0, name.length() - 5) : name;
        return lort.resolveSibling(stem + ".html");
    }

    private static JsonNode readJson(Path p) {
        try {
            JsonNode n = new ObjectMapper().readTree(p.toFile());
            if (n == null || !n.isObject()) throw new LortException("--run " + p + " is not a JSON object (give what 'lort compress --json' printed)");
            return n;
        } catch (IOException e) {
            throw new LortException("--run " + p + ": cannot read it as JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }
}
