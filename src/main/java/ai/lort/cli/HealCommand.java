package ai.lort.cli;

import ai.lort.LortException;
import ai.lort.Version;
import ai.lort.compress.HealFile;
import ai.lort.heal.HealOptions;
import ai.lort.heal.Healer;
import ai.lort.load.SourceModel;
import ai.lort.report.RunRecord;
import ai.lort.util.ProgressBar;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "heal", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Heal a .lort file further: distil it toward the original model it was compressed from, end to end,",
                "and write the result as a new file (the ternary codes stay; scales, low-rank factors, norms and biases train)."},
        footer = {"", "Example:", "  lort heal model.lort --model Qwen/Qwen2.5-0.5B --heal-steps 200 -o healed.lort"})
public final class HealCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE.lort", description = "The compressed model")
    Path input;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "<MODEL>",
            description = "The original model it was compressed from (hub id or local path): the teacher")
    String model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "<OUTPUT>", description = "The healed .lort file to write")
    Path output;

    @Mixin HealOption heal;

    @Option(names = "--seed", paramLabel = "<SEED>", defaultValue = "42", description = "Random seed, any 64-bit integer; the same seed gives the same file [default: ${DEFAULT-VALUE}]")
    long seed;

    @Mixin ThreadsOption threads;

    @Mixin RevisionOption revision;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress; errors only (and the --json summary)")
    boolean quiet;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(input)) throw new LortException(input + ": no such file");
        try {
            if (Files.exists(output) && Files.isSameFile(input, output))
                throw new LortException("--output " + output + " is the input file; write the healed model to another file");
        } catch (java.io.IOException e) {
            throw new LortException("cannot check --output " + output + ": " + e.getMessage());
        }
        HealOptions options = heal.options();
        if (!options.enabled()) throw new LortException("--heal-steps 0 leaves nothing to do; give a number of steps or leave it out");
        ProgressBar[] bar = new ProgressBar[1];
        Healer.Result r;
        try (SourceModel source = SourceModel.open(revision.locate(model, quiet).local())) {
            r = HealFile.run(input, source, output, options, seed, threads.count(), (step, steps, train, held) -> {
                if (bar[0] == null) bar[0] = new ProgressBar("heal", steps, false, quiet);
                bar[0].suffix(String.format(Locale.ROOT, "loss %.4f, held-out %.4f", train, held));
                bar[0].update(step);
            });
        }
        if (bar[0] != null) bar[0].finish(r.steps());
        if (r.codeUpdatesOff() != null && !quiet) System.err.println("heal: ternary code updates were off: " + r.codeUpdatesOff());
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("output", output.toString());
            RunRecord.putHealing(o, RunRecord.Healing.of(r));
            try {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else if (!quiet) {
            System.out.printf(Locale.ROOT, "heal        held-out KL %.4f -> %.4f%s, %d steps, %,d tokens, %.1f s%n", r.before(), r.after(),
                    r.kept() ? "" : " (no better: the layers were written as they were)", r.steps(), r.tokens(), r.seconds());
            System.out.println("file        " + output);
        }
        return 0;
    }
}
