package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.tools.GpuCheck;
import ai.lort.tools.SyntheticModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole GPU check, its benchmark included, on the emulated GPU with a tiny benchmark model: the run on a real GPU must not stumble on its own code. */
class GpuCheckEmulatedTest {
    @Test
    void runsEveryCheckAndTheBenchmark(@TempDir Path models) {
        // a .lort with the default encodings, as bench/gpu-check.sh bundle makes it
        Path shared = SharedData.require("models");
        Cli.Result r = Cli.run("compress", "-m", shared.resolve("stories260K").toString(), "--min-dim", "32", "--method", "als", "--heal-steps", "0",
                "--packing", "t3-b5", "--scales", "row-f16", "--rotation", "hadamard", "--embeddings", "q4",
                "-o", models.resolve("stories260K-defaults.lort").toString(), "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int failures;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            failures = new GpuCheck().emulated(EmulatedGpu::new, shared, SyntheticModel.TINY).lortFiles(models).run();
        } finally {
            System.setOut(saved);
        }
        String log = out.toString(StandardCharsets.UTF_8);
        System.out.println(log);
        assertThat(failures).as(log).isZero();
        assertThat(log).contains("PASS stories260K:", "PASS stories260K with CUDA graphs:", "PASS tiny-qwen3:",
                "PASS tiny-synthetic t2-g64 rank 8 (cols 64 and 172), two-phase kernels", "BENCH launch overhead",
                "BENCH tiny-synthetic t2-g64 rank 32, CUDA graphs cuda:", "BENCH target .lort",
                "PASS stories260K-defaults.lort (q4-g32, t3-b5 row-f16 hadamard), fused kernel",
                "PASS stories260K-defaults.lort (q4-g32, t3-b5 row-f16 hadamard), two-phase kernels", "PASS all GPU checks");
        assertThat(log).doesNotContain("FAIL", "SKIP");
    }
}
