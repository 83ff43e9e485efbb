package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed {@code kernels/lort_kernel.ptx} is what {@code kernels/build-ptx.sh} makes of
 * {@code kernels/lort_kernel.cu} (where nvcc exists), and it assembles for the oldest and newest
 * targets we care about (where ptxas exists). Without the CUDA toolkit both tests skip.
 */
class PtxStalenessTest {
    private static final Path COMMITTED = Path.of("kernels", "lort_kernel.ptx");

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " took over 2 minutes");
        }
        if (p.exitValue() != 0 && p.exitValue() != 3) System.err.println(out);
        return p.exitValue();
    }

    /** The PTX without its leading comment block, which names the nvcc build. */
    static String body(String ptx) {
        return ptx.lines().dropWhile(l -> l.startsWith("//") || l.isBlank()).collect(Collectors.joining("\n"));
    }

    private static String header(String ptx) {
        return ptx.lines().filter(l -> l.startsWith("// Cuda compilation tools")).findFirst().orElse("(no nvcc line)");
    }

    @Test
    void committedPtxIsFreshFromTheSource(@TempDir Path tmp) throws Exception {
        Path fresh = tmp.resolve("lort_kernel.ptx");
        int rc = run(List.of("bash", "kernels/build-ptx.sh", "--require", fresh.toString()));
        assumeTrue(rc != 3, "skipped: nvcc not found, so the committed PTX cannot be checked against the .cu here");
        assertThat(rc).as("kernels/build-ptx.sh exit status").isZero();
        String committed = Files.readString(COMMITTED), made = Files.readString(fresh);
        assertThat(body(committed))
                .as("kernels/lort_kernel.ptx is stale against kernels/lort_kernel.cu: run kernels/build-ptx.sh and commit the PTX"
                        + " (committed: %s; this nvcc: %s)", header(committed), header(made))
                .isEqualTo(body(made));
    }

    /**
     * The committed PTX assembles for Turing, Ampere and Hopper, and every kernel's registers fit the
     * block size it is launched with (65536 registers per block): a kernel over the limit would only
     * fail on a GPU, at launch, with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES.
     */
    @Test
    void committedPtxAssemblesAndFitsItsBlocksFromTuringToHopper(@TempDir Path tmp) throws Exception {
        boolean ptxas;
        try {
            ptxas = run(List.of("ptxas", "--version")) == 0;
        } catch (IOException e) {
            ptxas = false;
        }
        assumeTrue(ptxas, "skipped: ptxas not on PATH");
        for (String arch : new String[] {"sm_75", "sm_80", "sm_86", "sm_90"}) {
            Path log = tmp.resolve(arch + ".log");
            Process p = new ProcessBuilder("ptxas", "-v", "-arch=" + arch, COMMITTED.toString(), "-o", tmp.resolve(arch + ".cubin").toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertThat(p.waitFor()).as("ptxas -arch=%s kernels/lort_kernel.ptx", arch).isZero();
            String kernel = null;
            int checked = 0;
            for (String line : Files.readAllLines(log)) {
                Matcher entry = ENTRY.matcher(line), regs = REGISTERS.matcher(line);
                if (entry.find()) kernel = entry.group(1);
                else if (regs.find() && kernel != null) {
                    int block = kernel.equals("lort_ternary_fused") ? CudaKernels.FUSED_THREADS
                            : kernel.equals("lort_argmax") ? 1024 : 256;
                    assertThat(Integer.parseInt(regs.group(1)) * block).as("%s registers × %d threads on %s", kernel, block, arch)
                            .isLessThanOrEqualTo(65536);
                    checked++;
                }
            }
            assertThat(checked).as("kernels checked on %s", arch).isGreaterThan(10);
        }
    }

    private static final Pattern ENTRY = Pattern.compile("Compiling entry function '(\\w+)'");
    private static final Pattern REGISTERS = Pattern.compile("Used (\\d+) registers");

    @Test
    void jarResourceIsTheCommittedPtxOrAFreshBuildOfIt() throws Exception {
        assertThat(body(KernelPtx.load())).isEqualTo(body(Files.readString(COMMITTED)));
    }
}
