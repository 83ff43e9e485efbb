package ai.lort.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cuda.DeviceChoice;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/** The options several commands share (the mixins): listed, parsed, checked and meant the same in each. */
class SharedOptionsTest {
    @TempDir Path tmp;

    /** The shared options of each command that has some. */
    private static final Map<String, List<String>> SHARED = Map.of(
            "compress", List.of("--model", "--revision", "--threads"),
            "infer", List.of("--model", "--revision", "--threads", "--device", "--ctx"),
            "eval", List.of("--model", "--revision", "--threads", "--device", "--ctx"));

    @Test
    void helpOfEveryCommandListsEachOfItsOptions() {
        Map<String, CommandLine> commands = Main.commandLine().getSubcommands();
        assertThat(commands).containsKeys("compress", "inspect", "infer", "eval", "tokenize");
        for (var c : commands.entrySet()) {
            if (c.getKey().equals("help")) continue;
            Cli.Result r = Cli.run(c.getKey(), "--help");
            assertThat(r.exitCode()).as(c.getKey()).isZero();
            for (OptionSpec o : c.getValue().getCommandSpec().options())
                if (!o.hidden()) assertThat(r.out()).as(c.getKey()).contains(o.longestName());
        }
        SHARED.forEach((command, options) -> {
            var spec = commands.get(command).getCommandSpec();
            for (String o : options) assertThat(spec.findOption(o)).as(command + " " + o).isNotNull();
        });
    }

    @Test
    void aSharedOptionHasTheSameLabelDefaultAndHelpInEveryCommand() {
        Map<String, CommandLine> commands = Main.commandLine().getSubcommands();
        for (String option : List.of("--revision", "--threads", "--device", "--ctx", "--model")) {
            // compress's --model names a source model, with a default; infer and eval also take .lort files and need one.
            List<OptionSpec> specs = SHARED.entrySet().stream()
                    .filter(e -> e.getValue().contains(option) && !(option.equals("--model") && e.getKey().equals("compress")))
                    .map(e -> commands.get(e.getKey()).getCommandSpec().findOption(option)).toList();
            assertThat(specs).as(option).hasSizeGreaterThan(1);
            for (OptionSpec o : specs) {
                assertThat(o.paramLabel()).as(option).isEqualTo(specs.get(0).paramLabel());
                assertThat(o.defaultValue()).as(option).isEqualTo(specs.get(0).defaultValue());
                assertThat(o.required()).as(option).isEqualTo(specs.get(0).required());
                assertThat(o.description()).as(option).isEqualTo(specs.get(0).description());
            }
        }
    }

    @Command(name = "probe")
    static final class Probe {
        @Mixin ThreadsOption threads;
        @Mixin DeviceOption device;
        @Mixin RevisionOption revision;
    }

    @Test
    void defaultsAreAllCoresAndAuto() {
        Probe p = new Probe();
        new CommandLine(p).parseArgs();
        assertThat(p.threads.count()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(p.device.choice()).isEqualTo(DeviceChoice.AUTO);
        assertThat(p.revision.revision).isNull();
        new CommandLine(p).parseArgs("--threads", "3", "--device", "CPU", "--revision", "v1");
        assertThat(p.threads.count()).isEqualTo(3);
        assertThat(p.device.choice()).isEqualTo(DeviceChoice.CPU);
        assertThat(p.revision.revision).isEqualTo("v1");
    }

    /** Arguments of each command up to its shared options, with a model that does not exist. */
    private List<String> start(String command) {
        String nope = tmp.resolve("nope").toString();
        return new ArrayList<>(switch (command) {
            case "compress" -> List.of("compress", "-m", nope, "-o", tmp.resolve("o.lort").toString(), "-q");
            case "infer" -> List.of("infer", "--model", nope, "--prompt", "Hi");
            case "eval" -> List.of("eval", "--model", nope, "--text", nope);
            default -> throw new IllegalArgumentException(command);
        });
    }

    static Stream<Arguments> badValues() {
        String threadRange = "use 1 to " + ThreadsOption.MAX + " (4 x the " + ThreadsOption.MAX / 4 + " cores)";
        Stream<Arguments> threads = Stream.of("compress", "infer", "eval").flatMap(c -> Stream.of(
                Arguments.of(c, "--threads", "0", "--threads 0 is out of range; " + threadRange),
                Arguments.of(c, "--threads", "-2", "--threads -2 is out of range; " + threadRange),
                Arguments.of(c, "--threads", "100000", "--threads 100000 is out of range; " + threadRange)));
        Stream<Arguments> engine = Stream.of("infer", "eval").flatMap(c -> Stream.of(
                Arguments.of(c, "--device", "gpu", "--device must be auto, cpu or cuda, not 'gpu'"),
                Arguments.of(c, "--ctx", "1", "--ctx 1 is out of range; use 2 to the model's max_position_embeddings")));
        return Stream.concat(threads, engine);
    }

    /** Checked while parsing, so before the (missing) model is looked at: one line, exit code 1. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("badValues")
    void aBadValueIsAOneLineErrorBeforeAnythingRuns(String command, String option, String value, String message) {
        List<String> args = start(command);
        args.addAll(List.of(option, value));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(command + ": error: " + message + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void aValueOfTheWrongTypeIsAUsageError(String command) {
        List<String> args = start(command);
        args.addAll(List.of("--threads", "two"));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(command + ": error: Invalid value for option '--threads': 'two' is not an int; see lort " + command + " --help"
                + System.lineSeparator());
    }

    static Stream<String> commands() {
        return SHARED.keySet().stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void revisionIsRefusedWithALocalModel(String command) {
        String model = SharedData.require("models/stories260K").toString();
        List<String> args = start(command);
        args.set(args.indexOf(tmp.resolve("nope").toString()), model);
        args.addAll(List.of("--revision", "main"));
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(command + ": error: --revision applies to hub models, but " + model + " is a local path" + System.lineSeparator());
    }

    /** --threads changes nothing in what compress writes, nor in what infer and eval print, also from the .lort. */
    @Test
    void threadsDeviceAndRevisionMeanTheSameInEveryCommand() throws Exception {
        Path model = SharedData.require("models/stories260K");
        Path[] files = {tmp.resolve("t1.lort"), tmp.resolve("t2.lort")};
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.run("compress", "-m", model.toString(), "--min-dim", "64", "--method", "als", "--heal-steps", "0", "-o", files[i].toString(), "-q",
                    "--threads", String.valueOf(i + 1));
            assertThat(r.exitCode()).as(r.err()).isZero();
        }
        try (LortFile a = LortFile.open(files[0]); LortFile b = LortFile.open(files[1])) {
            for (String n : a.layers().keySet()) {
                CompressedLayer x = a.layers().get(n), y = b.layers().get(n);
                assertThat(x.codes().mismatch(y.codes())).isEqualTo(-1);
                assertThat(x.a().mismatch(y.a())).isEqualTo(-1);
                assertThat(x.b().mismatch(y.b())).isEqualTo(-1);
            }
        }
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1 403 407 261 378 432 383 286 261 376 298 315 421 395 317");
        for (String m : List.of(model.toString(), files[0].toString())) {
            String[] infer = new String[2], eval = new String[2];
            for (int t = 1; t <= 2; t++) {
                Cli.Result i = Cli.run("infer", "--model", m, "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "12",
                        "--threads", String.valueOf(t), "--device", "cpu");
                Cli.Result e = Cli.run("eval", "--model", m, "--tokens", ids.toString(), "--json", "--threads", String.valueOf(t), "--device", "cpu");
                assertThat(i.exitCode()).as(i.err()).isZero();
                assertThat(e.exitCode()).as(e.err()).isZero();
                infer[t - 1] = i.out();
                eval[t - 1] = e.out();
            }
            assertThat(infer[1]).as(m).isEqualTo(infer[0]);
            assertThat(eval[1]).as(m).isEqualTo(eval[0]);
        }
        for (String command : List.of("infer", "eval")) {
            List<String> args = start(command);
            args.set(args.indexOf(tmp.resolve("nope").toString()), files[0].toString());
            if (command.equals("eval")) args.set(args.indexOf("--text") + 1, ids.toString());
            args.addAll(List.of("--revision", "main"));
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err()).as(command).isEqualTo(command + ": error: --revision applies to hub models, but " + files[0] + " is a .lort file"
                    + System.lineSeparator());
        }
    }

    /** --ctx is the context infer generates in and the window eval scores (every token but a window's first). */
    @Test
    void ctxBoundsInferAndSetsEvalsWindow() throws Exception {
        String model = SharedData.require("models/stories260K").toString();
        Cli.Result i = Cli.run("infer", "--model", model, "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "50", "--ctx", "8");
        assertThat(i.exitCode()).as(i.err()).isZero();
        // 8 positions hold the 5 prompt tokens and 3 generated ones; the logits of the last give a 4th.
        assertThat(i.err()).contains("prompt: 5 tokens").contains("generated: 4 tokens").contains("stopped: context");
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1 403 407 261 378 432 383 286 261 376 298 315 421 395 317");
        for (int ctx : new int[] {2, 4, 15}) {
            Cli.Result e = Cli.run("eval", "--model", model, "--tokens", ids.toString(), "--json", "--ctx", String.valueOf(ctx));
            assertThat(e.exitCode()).as(e.err()).isZero();
            int windows = (15 + ctx - 1) / ctx;
            assertThat(new ObjectMapper().readTree(e.out()).get("tokens").asInt()).as("--ctx " + ctx).isEqualTo(15 - windows);
        }
    }
}
