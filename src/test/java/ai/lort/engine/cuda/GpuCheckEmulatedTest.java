package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.testing.SharedData;
import ai.lort.tools.GpuCheck;
import ai.lort.tools.SyntheticModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The whole GPU check, its benchmark included, on the emulated GPU with a tiny benchmark model: the run on a real GPU must not stumble on its own code. */
class GpuCheckEmulatedTest {
    @Test
    void runsEveryCheckAndTheBenchmark() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int failures;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            failures = new GpuCheck().emulated(EmulatedGpu::new, SharedData.require("models"), SyntheticModel.TINY).run();
        } finally {
            System.setOut(saved);
        }
        String log = out.toString(StandardCharsets.UTF_8);
        System.out.println(log);
        assertThat(failures).as(log).isZero();
        assertThat(log).contains("PASS stories260K:", "PASS stories260K with CUDA graphs:", "PASS tiny-qwen3:",
                "PASS tiny-synthetic t2-g64 rank 8 (cols 64 and 172), two-phase kernels", "BENCH launch overhead",
                "BENCH tiny-synthetic t2-g64 rank 32, CUDA graphs cuda:", "BENCH target .lort", "PASS all GPU checks");
        assertThat(log).doesNotContain("FAIL", "SKIP");
    }
}
