package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.export.Exporter;
import ai.lort.format.LortFile;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Write a .lort file as a Hugging Face folder (dequantized) or a base model + PEFT LoRA adapter.",
                "  safetensors: a Hugging Face folder of the dequantized model (W = diag(s)*T + B*A, rotation undone);",
                "  peft: base/ (the ternary part) and adapter/ (B*A as a LoRA adapter in PEFT's layout)."},
        footer = {"", "Examples:",
                "  lort export model.lort -o model-hf",
                "  lort export model.lort --to peft --dtype f16 -o model-peft"})
public final class ExportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "<FILE>", description = "The .lort file")
    Path file;

    @Option(names = "--to", paramLabel = "<FORMAT>", defaultValue = "safetensors",
            description = "safetensors or peft [default: ${DEFAULT-VALUE}]")
    String to;

    @Option(names = {"-o", "--output"}, paramLabel = "<DIR>", required = true,
            description = "The folder to write (must not exist, or be empty)")
    Path output;

    @Option(names = "--dtype", paramLabel = "<TYPE>", defaultValue = "bf16",
            description = "Type of the written weights: bf16, f16 or f32 [default: ${DEFAULT-VALUE}]")
    String dtype;

    @Mixin ThreadsOption threads;

    @Option(names = "--json", description = "Print what was written as one JSON document on stdout (docs/JSON.md)")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar or summary; errors only (and the --json document)")
    boolean quiet;

    @Override
    public Integer call() {
        Exporter.Format format = Exporter.Format.byId(to);
        var type = Exporter.dtype(dtype);
        if (!Files.isRegularFile(file)) throw new LortException(file + ": no such file");
        if (!LortFile.looksLikeLort(file)) throw new LortException(file + " is not a .lort file (export reads what lort compress writes)");
        Exporter.Result r;
        try (LortFile f = LortFile.openVerified(file)) {
            r = Exporter.export(f, output, new Exporter.Options(format, type, threads.count(), quiet));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) JsonOutput.print(out, json(r));
        else if (!quiet) {
            out.printf(Locale.ROOT, "exported  %s to %s (%s, %d tensors, %,d parameters%s)%n", file, r.output(), r.dtype().name().toLowerCase(Locale.ROOT),
                    r.tensors(), r.parameters(), r.adapterLayers() > 0 ? ", LoRA adapter on " + r.adapterLayers() + " layers" : "");
            out.printf(Locale.ROOT, "files     %s%n", String.join(", ", r.files()));
            out.printf(Locale.ROOT, "size      %s in %.1f s%n", ProgressBar.formatBytes(r.bytes()), r.seconds());
            out.flush();
        }
        return 0;
    }

    static ObjectNode json(Exporter.Result r) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("output", r.output().toString());
        o.put("format", r.format().id());
        o.put("dtype", r.dtype().name().toLowerCase(Locale.ROOT));
        var files = o.putArray("files");
        r.files().forEach(files::add);
        o.put("tensors", r.tensors());
        o.put("parameters", r.parameters());
        o.put("bytes", r.bytes());
        if (r.format() == Exporter.Format.PEFT) o.put("adapter_layers", r.adapterLayers());
        o.put("seconds", r.seconds());
        return o;
    }
}
