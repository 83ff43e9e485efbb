package ai.lort.cli;

import static ai.lort.testing.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.LortFile;
import ai.lort.load.DType;
import ai.lort.load.SafetensorsWriter.Spec;
import ai.lort.testing.Cli;
import ai.lort.testing.JavaProcess;
import ai.lort.testing.Refusals;
import ai.lort.testing.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What compress does to files (issue "Hardening", items 1-3): it never writes over a file it
 * reads, writes through a symbolic link but never into a device, pipe or folder, fails (never
 * exit 0) when its output cannot be written, and leaves no temporary file behind after SIGINT or
 * SIGTERM; after SIGKILL the next run in that folder removes it.
 */
@Timeout(60)
class HardeningFilesTest {
    @TempDir Path tmp;

    private Path model() throws IOException {
        return TestModels.singleFile(tmp.resolve("m"), DType.BF16);
    }

    private static Cli.Result compress(Path model, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("compress", "-m", model.toString(), "-o", out.toString(), "-q", "--method", "als", "--rank", "2", "--heal-steps", "0"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void anOutputThatIsAnInputIsRefusedAndTheInputsAreUnchanged() throws IOException {
        Path m = model();
        Path text = Files.writeString(tmp.resolve("eval.txt"), "hello");
        Files.createSymbolicLink(tmp.resolve("link.lort"), m.resolve("model.safetensors"));
        TreeMap<String, String> before = Refusals.hashes(m);
        for (Path out : List.of(m.resolve("model.safetensors"), m.resolve("config.json"), tmp.resolve("link.lort"), m.resolve("../m/config.json")))
            assertRefused(compress(m, out), "which this run reads");
        assertRefused(compress(m, text, "--eval", text.toString()), "which this run reads");
        assertThat(Refusals.hashes(m)).isEqualTo(before);
        assertThat(Refusals.names(m)).containsExactly("config.json", "model.safetensors");
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndNonRegularOutputsAreRefused() throws IOException, InterruptedException {
        Path m = model();
        Path real = Files.createDirectories(tmp.resolve("real")).resolve("target.lort");
        Files.writeString(real, "old");
        Path link = Files.createSymbolicLink(tmp.resolve("out.lort"), real);
        assertThat(compress(m, link).exitCode()).isZero();
        assertThat(Files.isSymbolicLink(link)).isTrue();
        try (LortFile f = LortFile.openVerified(real)) {
            assertThat(f.layers()).isNotEmpty();
        }
        assertRefused(compress(m, Path.of("/dev/full")), "not a regular file");
        assertRefused(compress(m, tmp), "is a folder");
        assertRefused(compress(m, Files.createSymbolicLink(tmp.resolve("dangling.lort"), tmp.resolve("nowhere/x.lort"))), "symbolic link to a missing file");
        Path fifo = tmp.resolve("pipe.lort");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertRefused(compress(m, fifo), "not a regular file");
        assertRefused(Cli.run("inspect", fifo.toString()), "not a regular file");
        assertThat(Refusals.names(tmp)).containsExactlyInAnyOrder("m", "real", "out.lort", "dangling.lort", "pipe.lort");
    }

    @Test
    void aSummaryThatCannotBeWrittenFailsTheRun() throws Exception {
        Path m = model();
        java.io.PrintStream stdout = System.out, stderr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        try (java.io.PrintStream full = new java.io.PrintStream(new java.io.FileOutputStream("/dev/full"), true);
             java.io.PrintStream e = new java.io.PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(full);
            System.setErr(e);
            code = Main.run("compress", "-m", m.toString(), "-o", tmp.resolve("x.lort").toString(), "--method", "als", "--rank", "2", "--json", "-q");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("could not write the output to standard output");
    }

    /** A model whose weight-only compression on one thread takes seconds: time to send a signal. */
    private Path slowModel() throws IOException {
        List<Spec> specs = new ArrayList<>();
        for (int l = 0; l < 6; l++) specs.add(new Spec("model.layers." + l + ".mlp.up_proj.weight", DType.BF16, 768, 768));
        Path dir = Files.createDirectories(tmp.resolve("slow"));
        TestModels.write(dir.resolve("model.safetensors"), specs, 3);
        return dir;
    }

    private static Process startSlowCompress(Path model, Path outDir) throws IOException {
        // Without healing (which fits every layer before writing) the layers are fitted while the file is written.
        return JavaProcess.lort("compress", "-m", model.toString(), "-o", outDir.resolve("s.lort").toString(), "--method", "als", "--iters", "50",
                "--threads", "1", "--heal-steps", "0", "-q").redirectOutput(JavaProcess.devNull()).redirectError(JavaProcess.devNull()).start();
    }

    /** Waits until the writer's temporary file is there: the JVM and the model are up, writing has begun. */
    private static void awaitTemporaryFile(Process p, Path outDir) throws InterruptedException {
        for (int i = 0; i < 1200 && Refusals.names(outDir).stream().noneMatch(n -> n.contains(".tmp-")); i++) Thread.sleep(50);
        assertThat(Refusals.names(outDir)).as("the temporary file while compressing").anyMatch(n -> n.startsWith(".s.lort.tmp-"));
        assertThat(p.isAlive()).isTrue();
    }

    @Test
    void sigintAndSigtermLeaveNoTemporaryFileAndKillMinusNineIsCleanedByTheNextRun() throws Exception {
        Path m = slowModel();
        TreeMap<String, String> before = Refusals.hashes(m);
        // Three real processes at once (one per signal), each writing into its own folder.
        List<String> signals = List.of("INT", "TERM", "KILL");
        List<Path> outs = new ArrayList<>();
        List<Process> processes = new ArrayList<>();
        for (String signal : signals) {
            outs.add(Files.createDirectories(tmp.resolve("out-" + signal)));
            processes.add(startSlowCompress(m, outs.getLast()));
        }
        for (int k = 0; k < signals.size(); k++) {
            awaitTemporaryFile(processes.get(k), outs.get(k));
            JavaProcess.signal(processes.get(k), signals.get(k));
        }
        for (int k = 0; k < signals.size(); k++) {
            Process p = processes.get(k);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("exit code after SIG" + signals.get(k)).isEqualTo(List.of(130, 143, 137).get(k));
        }
        assertThat(Refusals.names(outs.get(0))).as("after SIGINT").isEmpty();
        assertThat(Refusals.names(outs.get(1))).as("after SIGTERM").isEmpty();
        Path killed = outs.get(2);
        assertThat(Refusals.names(killed)).as("a killed writer cannot clean up").hasSize(1);
        Files.writeString(killed.resolve(".notes.tmp-1"), "not a LoRT temporary file"); // kept: not what a writer leaves
        assertThat(compress(model(), killed.resolve("next.lort")).exitCode()).isZero();
        assertThat(Refusals.names(killed)).containsExactly(".notes.tmp-1", "next.lort");
        assertThat(Refusals.hashes(m)).isEqualTo(before);
    }
}
