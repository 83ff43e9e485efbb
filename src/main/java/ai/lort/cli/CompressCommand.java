package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.calibrate.Calibration;
import ai.lort.compress.CompressOptions;
import ai.lort.compress.EmbeddingFormat;
import ai.lort.compress.Compressor;
import ai.lort.decompose.LayerEncoding;
import ai.lort.decompose.LayerFit;
import ai.lort.format.LortFile;
import ai.lort.format.Packing;
import ai.lort.format.Rotation;
import ai.lort.format.ScaleEncoding;
import ai.lort.load.SourceModel;
import ai.lort.locate.LocatedModel;
import ai.lort.report.HtmlReport;
import ai.lort.report.ReportData;
import ai.lort.report.RunRecord;
import ai.lort.report.Samples;
import ai.lort.util.ProgressBar;
import ai.lort.weights.LortWeights;
import ai.lort.weights.SafetensorsWeights;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compress", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Compress a safetensors model into a self-contained .lort file:",
                "every selected linear layer W becomes diag(s)*T + B*A (T ternary, B*A low rank)."},
        footer = {"", "Examples:",
                "  lort-compress --model Qwen/Qwen2.5-0.5B",
                "  lort-compress --model /path/to/model/directory",
                "  lort-compress --model ~/models/my-llm --min-dim 64 --output my-llm-compressed.lort"})
public final class CompressCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "<MODEL>", defaultValue = "Qwen/Qwen2.5-0.5B",
            description = "Model ID (HF) or local path [default: ${DEFAULT-VALUE}]")
    String model;

    @Option(names = {"-o", "--output"}, paramLabel = "<OUTPUT>", defaultValue = "model.lort",
            description = "Output .lort file: a regular file or a new name (a symbolic link is followed and its target replaced); never one of the inputs. Written under a temporary name and renamed when complete [default: ${DEFAULT-VALUE}]")
    Path output;

    @Option(names = "--min-dim", paramLabel = "<MIN_DIM>", defaultValue = "128",
            description = "Min layer size to compress, 1 to 1048576 [default: ${DEFAULT-VALUE}]")
    int minDim;

    @ArgGroup(exclusive = true)
    Budget budget = new Budget();

    static final class Budget {
        @Option(names = "--bpw", paramLabel = "<BITS>",
                description = "Target bits per weight over the compressed layers, 1 to 16; sets each layer's rank [default: 2.2]")
        Double bpw;

        @Option(names = "--rank", paramLabel = "<R>", description = "Fixed rank of the low-rank term for every layer, 0 to 65536 (instead of --bpw)")
        Integer rank;
    }

    @Option(names = "--plan", paramLabel = "<PLAN>", defaultValue = "model",
            description = "How --bpw becomes ranks: model (spend the budget over the whole model, rank by rank where it removes the most error per bit) "
                    + "or layer (each layer the largest rank within the budget on its own) [default: ${DEFAULT-VALUE}]")
    String plan;

    @Option(names = "--method", paramLabel = "<METHOD>", defaultValue = "calibrated",
            description = "calibrated: fit each layer's outputs on calibration text, layer by layer (models the engine runs; others fall back to als); "
                    + "als: weight-only alternating least squares [default: ${DEFAULT-VALUE}]")
    String method;

    @Option(names = "--calibration", paramLabel = "<FILE|self>", defaultValue = Calibration.SELF,
            description = "Calibration text (documents separated by <|endoftext|> lines), or 'self': text the original model samples from BOS [default: ${DEFAULT-VALUE}]")
    String calibration;

    @Option(names = "--calibration-samples", paramLabel = "<N>", defaultValue = "" + Calibration.DEFAULT_SAMPLES,
            description = "Sequences to sample (self) or documents to use (file; 0 = all), 0 to 1000000 [default: ${DEFAULT-VALUE}]")
    int calibrationSamples;

    @Option(names = "--calibration-length", paramLabel = "<TOKENS>", defaultValue = "" + Calibration.DEFAULT_LENGTH,
            description = "Tokens per calibration sequence at most, 2 to 1048576 [default: ${DEFAULT-VALUE}]")
    int calibrationLength;

    @Option(names = "--beta", paramLabel = "<B>", defaultValue = "" + Calibration.DEFAULT_BETA,
            description = "Target correction: fit W + B(W*C*H^-1 - W), which undoes the error of earlier layers; 0 fits W; 0 to 1 [default: ${DEFAULT-VALUE}]")
    double beta;

    @Option(names = "--sweeps", paramLabel = "<N>", defaultValue = "" + Calibration.DEFAULT_SWEEPS,
            description = "Coordinate-descent sweeps over the ternary codes per fit (calibrated), 0 to 1000 [default: ${DEFAULT-VALUE}]")
    int sweeps;

    @Option(names = "--alternations", paramLabel = "<N>", defaultValue = "" + Calibration.DEFAULT_ALTERNATIONS,
            description = "Low-rank / ternary alternations per layer with rank > 0 (calibrated), 1 to 1000 [default: ${DEFAULT-VALUE}]")
    int alternations;

    @Option(names = "--scales", paramLabel = "<ENC>",
            description = "Per-row scale encoding: row-f16 (format 1.1) or row-f32 [default: row-f16 with calibrated, row-f32 with als]")
    String scales;

    @Option(names = "--packing", paramLabel = "<PACK>",
            description = "Ternary code packing: t2-g64 (2 bits per weight, vector kernel) or t3-b5 (five per byte, 1.6 bits, table kernel; format 1.1) "
                    + "[default: t3-b5 with calibrated (measured better and smaller), t2-g64 with als]")
    String packing;

    @Option(names = "--rotation", paramLabel = "<ROT>",
            description = "Input rotation of every compressed layer: none, or hadamard (seeded random signs + block-wise Walsh-Hadamard; format 1.1) "
                    + "[default: hadamard with calibrated (measured better), none with als (measured worse)]")
    String rotation;

    @Option(names = "--eval", paramLabel = "<FILE>",
            description = "At the end, per-document perplexity of the original and the compressed model on this text (documents separated by <|endoftext|> lines)")
    Path eval;

    @Option(names = "--iters", paramLabel = "<N>", defaultValue = "" + CompressOptions.DEFAULT_ITERATIONS,
            description = "Max alternating-least-squares iterations per layer (stops earlier when the error improves by < 1e-4), 0 to 1000 [default: ${DEFAULT-VALUE}]")
    int iterations;

    @Mixin HealOption heal;

    @Mixin ThreadsOption threads;

    @Option(names = "--seed", paramLabel = "<SEED>", defaultValue = "42", description = "Random seed, any 64-bit integer; results are identical for the same seed [default: ${DEFAULT-VALUE}]")
    long seed;

    @Option(names = "--include-lm-head", description = "Also compress the output head (lm_head)")
    boolean includeLmHead;

    @Option(names = "--embeddings", paramLabel = "<FORMAT>", defaultValue = "q4",
            description = "How the embedding and output head are stored when not compressed: q4 (4.5 bits per weight; healing "
                    + "adapts the model to it), q8 (8.5), bf16 (F32 narrowed to BF16), source (as in the model) [default: ${DEFAULT-VALUE}]")
    String embeddings;

    @Mixin RevisionOption revision;

    @Option(names = "--report", paramLabel = "<HTML>",
            description = "Also write an HTML report: totals, per-layer errors, ranks, bits and codes over depth, stage timings, "
                    + "perplexity (with --eval) and a sample from both models")
    Path reportFile;

    @Option(names = "--sample-prompt", paramLabel = "<TEXT>", defaultValue = Samples.DEFAULT_PROMPT,
            description = "The prompt of the report's samples (greedy, " + Samples.DEFAULT_TOKENS + " tokens) [default: ${DEFAULT-VALUE}]")
    String samplePrompt;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout, one JSON document (docs/JSON.md); the per-layer lines go to stderr")
    boolean json;

    @Option(names = "--verbose", description = "List every tensor that is not compressed, with the reason")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "No progress or per-layer lines; errors only (and the --json summary)")
    boolean quiet;

    @Override
    public Integer call() {
        Ranges.check("--min-dim", minDim, 1, 1 << 20);
        Ranges.check("--iters", iterations, 0, 1000);
        if (budget.bpw != null) Ranges.check("--bpw", budget.bpw, 1, 16);
        if (budget.rank != null) Ranges.check("--rank", budget.rank, 0, 65536);
        int nThreads = threads.count();
        boolean calibrated = switch (method) {
            case "calibrated" -> true;
            case "als" -> false;
            default -> throw new LortException("--method " + method + " is not known; use calibrated or als");
        };
        Ranges.check("--calibration-samples", calibrationSamples, 0, 1_000_000);
        Ranges.check("--calibration-length", calibrationLength, 2, 1 << 20);
        Ranges.check("--beta", beta, 0, 1);
        Ranges.check("--sweeps", sweeps, 0, 1000);
        Ranges.check("--alternations", alternations, 1, 1000);
        ScaleEncoding scaleEncoding = scales == null ? (calibrated ? ScaleEncoding.ROW_F16 : ScaleEncoding.ROW_F32)
                : ScaleEncoding.byId(scales).orElseThrow(() -> new LortException("--scales " + scales + " is not known; use " + ScaleEncoding.ids()));
        if (calibrated && !calibration.equals(Calibration.SELF)) inputFile("--calibration", Path.of(calibration), " (give a text file or 'self')");
        Packing pack = packing == null ? (calibrated ? Packing.T3_B5 : Packing.T2_G64)
                : Packing.byId(packing).orElseThrow(() -> new LortException("--packing " + packing + " is not known; use " + Packing.ids()));
        Rotation rot = rotation == null ? (calibrated ? Rotation.HADAMARD : Rotation.NONE)
                : Rotation.byId(rotation).orElseThrow(() -> new LortException("--rotation " + rotation + " is not known; use " + Rotation.ids()));
        if (eval != null) inputFile("--eval", eval, "");
        Calibration cal = calibrated ? new Calibration(calibration, calibrationSamples, calibrationLength, beta, sweeps, alternations) : null;
        LayerEncoding encoding = new LayerEncoding(pack, scaleEncoding, rot, budget.bpw != null ? budget.bpw : LayerEncoding.DEFAULT_BPW, budget.rank, seed);
        boolean planRanks = switch (plan) {
            case "model" -> true;
            case "layer" -> false;
            default -> throw new LortException("--plan " + plan + " is not known; use model or layer");
        };
        EmbeddingFormat kept = EmbeddingFormat.byId(embeddings)
                .orElseThrow(() -> new LortException("--embeddings " + embeddings + " is not known; use " + EmbeddingFormat.ids()));
        CompressOptions opts = new CompressOptions(minDim, encoding, iterations, nThreads, includeLmHead, verbose, quiet, cal, eval, heal.options(), planRanks, kept);
        if (reportFile != null) checkReportPath(reportFile);
        PrintStream report = json ? System.err : System.out;
        LocatedModel located = revision.locate(model, quiet);
        Compressor.Summary s;
        RunRecord run;
        try (SourceModel source = SourceModel.open(located.local())) {
            s = new Compressor(opts, report).run(source, output, new ObjectMapper().valueToTree(located.provenance()));
            run = reportFile == null ? RunRecord.of(s, null, List.of()) : withSample(s, source, nThreads);
        }
        if (reportFile != null) {
            long t0 = System.nanoTime();
            try (LortFile f = LortFile.open(output)) {
                HtmlReport.write(ReportData.read(f, run, nThreads, quiet), reportFile);
            }
            List<RunRecord.Stage> stages = new ArrayList<>(run.stages());
            stages.add(new RunRecord.Stage("report", (System.nanoTime() - t0) / 1e9, List.of()));
            run = new RunRecord(stages, run.seconds(), run.sourceBytes(), run.calibrationTokens(), run.evaluation(), run.sample(), run.healing());
        }
        if (json) System.out.println(summaryJson(s, run));
        else if (!quiet) printSummary(report, s);
        return 0;
    }

    /** A text file option: it must be a regular file (a named pipe would block the run). */
    static void inputFile(String option, Path p, String hint) {
        if (java.nio.file.Files.isRegularFile(p)) return;
        throw new LortException(option + " " + p + ": " + (java.nio.file.Files.exists(p) ? "not a regular file" : "no such file") + hint);
    }

    /** The run record with a greedy sample of both models (the report's), timed as the stage "sample". */
    private RunRecord withSample(Compressor.Summary s, SourceModel source, int nThreads) {
        long t0 = System.nanoTime();
        var original = Samples.continuation(new SafetensorsWeights(source), samplePrompt, Samples.DEFAULT_TOKENS, nThreads); // source closed by the caller
        Optional<String> compressed;
        try (LortWeights w = new LortWeights(LortFile.open(output))) {
            compressed = original.isEmpty() ? Optional.empty() : Samples.continuation(w, samplePrompt, Samples.DEFAULT_TOKENS, nThreads);
        }
        RunRecord.Sample sample = compressed.map(c -> new RunRecord.Sample(samplePrompt, Samples.DEFAULT_TOKENS, original.get(), c)).orElse(null);
        return RunRecord.of(s, sample, List.of(new RunRecord.Stage("sample", (System.nanoTime() - t0) / 1e9, List.of())));
    }

    /** Refuses a report path that cannot be written before the compression starts, not after it. */
    private static void checkReportPath(Path p) {
        Path dir = p.toAbsolutePath().getParent();
        if (Files.isDirectory(p)) throw new LortException("--report " + p + " is a folder; give a file name, e.g. " + p.resolve("report.html"));
        if (dir == null || !Files.isDirectory(dir)) throw new LortException("--report " + p + ": folder " + dir + " does not exist; create it first");
        if (!Files.isWritable(dir)) throw new LortException("--report " + p + ": cannot write to " + dir + "; choose another path");
    }

    private void printSummary(PrintStream out, Compressor.Summary s) {
        out.println();
        out.printf(Locale.ROOT, "compressed  %d layers, %,d parameters at %.3f bits per weight%n", s.layers().size(), s.compressedParams(), s.bitsPerWeight());
        out.printf(Locale.ROOT, "kept        %,d parameters as they were%n", s.keptParams());
        out.printf(Locale.ROOT, "method      %s%n", s.method());
        out.printf(Locale.ROOT, "error       mean %.4f, max %.4f (relative Frobenius, ||W - W'|| / ||W||)%n", s.meanError(), s.maxError());
        if (s.calibration() != null)
            out.printf(Locale.ROOT, "output      mean error %.4f (||(W - W')X|| / ||WX|| on %,d calibration tokens; calibration took %.1f s)%n",
                    s.meanOutputError(), s.calibration().tokens(), s.calibration().totalSeconds());
        if (s.calibration() != null) {
            var c = s.calibration();
            out.printf(Locale.ROOT, "            data %.1f s, forward passes %.1f s, statistics %.1f s, decompositions %.1f s%n",
                    c.dataSeconds(), c.timings().forward(), c.timings().statistics(), c.timings().compression());
        }
        if (s.heal() != null)
            out.printf(Locale.ROOT, "heal        held-out KL %.4f -> %.4f%s, %d steps, %,d tokens, %.1f s%n", s.heal().before(), s.heal().after(),
                    s.heal().kept() ? "" : " (no better: the fitted layers were kept)", s.heal().steps(), s.heal().tokens(), s.heal().seconds());
        if (s.evaluation() != null)
            out.printf(Locale.ROOT, "perplexity  original %.4f, compressed %.4f (%.2fx) on %d documents, %,d tokens of %s%n",
                    s.evaluation().original(), s.evaluation().compressed(), s.evaluation().compressed() / s.evaluation().original(),
                    s.evaluation().documents(), s.evaluation().tokens(), s.evaluation().file());
        out.printf(Locale.ROOT, "file        %s: %s, FP16 source %s, %.2fx smaller%n", output, ProgressBar.formatBytes(s.fileBytes()), ProgressBar.formatBytes(s.sourceFp16Bytes()), s.ratio());
        if (reportFile != null) out.printf(Locale.ROOT, "report      %s%n", reportFile);
        out.printf(Locale.ROOT, "time        %.1f s wall, peak memory %s (resident), heap peak %s%n", s.seconds(), ProgressBar.formatBytes(Memory.peakResidentBytes()), ProgressBar.formatBytes(Memory.peakHeapBytes()));
    }

    private String summaryJson(Compressor.Summary s, RunRecord run) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("output", output.toString());
        o.put("compressed_layers", s.layers().size());
        o.put("compressed_params", s.compressedParams());
        o.put("kept_params", s.keptParams());
        o.put("bits_per_weight", s.bitsPerWeight());
        o.put("file_bytes", s.fileBytes());
        o.put("source_fp16_bytes", s.sourceFp16Bytes());
        o.put("ratio_vs_fp16", s.ratio());
        o.put("mean_error", s.meanError());
        o.put("max_error", s.maxError());
        o.put("method", s.method());
        if (s.calibration() != null) {
            o.put("mean_output_error", s.meanOutputError());
            o.put("calibration_tokens", s.calibration().tokens());
            o.put("calibration_seconds", s.calibration().totalSeconds());
            ObjectNode t = o.putObject("calibration_time");
            t.put("data_seconds", s.calibration().dataSeconds());
            t.put("forward_seconds", s.calibration().timings().forward());
            t.put("statistics_seconds", s.calibration().timings().statistics());
            t.put("decomposition_seconds", s.calibration().timings().compression());
        }
        run.writeJson(o); // source_bytes, stages, eval, sample, healing
        if (reportFile != null) o.put("report", reportFile.toString());
        o.put("seconds", s.seconds());
        o.put("peak_resident_bytes", Memory.peakResidentBytes());
        o.put("peak_heap_bytes", Memory.peakHeapBytes());
        ArrayNode layers = o.putArray("layers");
        for (LayerFit r : s.layers()) {
            ObjectNode l = layers.addObject();
            l.put("name", r.name());
            l.putArray("shape").add(r.layer().rows()).add(r.layer().cols());
            l.put("rank", r.layer().rank());
            l.put("relative_error", r.weightError());
            l.put("bits_per_weight", r.bitsPerWeight());
            if (!Double.isNaN(r.outputError())) l.put("output_error", r.outputError());
        }
        return JsonOutput.text(o);
    }
}
