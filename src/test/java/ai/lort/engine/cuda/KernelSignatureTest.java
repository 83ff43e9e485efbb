package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.load.DType;
import java.lang.foreign.Arena;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every launch {@link CudaKernels} makes, checked without a GPU against the PTX in the jar: the kernel
 * exists, gets as many arguments as it declares, each of the declared size (a pointer where the
 * kernel takes a pointer), and the launch shape is legal. A wrong argument list would otherwise
 * only show on a GPU, as garbage or a crash.
 */
class KernelSignatureTest {
    private final Map<String, List<Integer>> signatures = PtxSignatures.parse(KernelPtx.load());
    private final Set<String> launched = new HashSet<>();

    private final KernelLauncher checker = (kernel, gridX, gridY, block, shared, args) -> {
        assertThat(signatures).as("kernels in the PTX").containsKey(kernel);
        List<Integer> sizes = signatures.get(kernel);
        assertThat(args.count()).as("%s argument count", kernel).isEqualTo(sizes.size());
        for (int i = 0; i < sizes.size(); i++) {
            int given = args.kind(i) == KernelArgs.Kind.POINTER ? 8 : 4;
            assertThat(given).as("%s argument %d size", kernel, i).isEqualTo(sizes.get(i));
        }
        assertThat(block).isBetween(32, 1024);
        assertThat(block % 32).isZero();
        assertThat(gridX).isPositive();
        assertThat(gridY).isBetween(1, 65535);
        assertThat(shared).isBetween(0, 227 * 1024);
        launched.add(kernel);
    };

    @Test
    void everyLaunchMatchesItsKernelAndEveryKernelIsLaunched() {
        try (Arena arena = Arena.ofConfined()) {
            CudaKernels k = new CudaKernels(checker, arena);
            for (boolean base3 : new boolean[] {false, true})
                for (boolean half : new boolean[] {false, true}) {
                    String suffix = CudaKernels.ternarySuffix(base3, half);
                    k.ternary(suffix, 1, 2, 3, 4, 5, 6, 7, 896, 896, 32, 1);
                    k.ternaryFused(suffix, 1, 2, 3, 4, 5, 6, 4864, 896, 32, 3);
                }
            k.hadamard(1, 2, 3, 4864, 256, 0.0625f, 2);
            k.hadamard(1, 2, 3, 8192, CudaKernels.MAX_HADAMARD_BLOCK, 0.011f, 1);
            k.hadamard(1, 2, 3, 172, 4, 0.5f, 1);
            for (int bits : new int[] {8, 4}) {
                k.matvecQuantized(bits, 1, 2, 3, 4, 151936, 896, 28, 1);
                k.embedQuantized(bits, 1, 2, 3, 4, 896, 28, 4);
            }
            for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                k.matvec(t, 1, 2, 3, 151936, 896, 1);
                k.embed(t, 1, 2, 3, 896, 4);
            }
            k.rmsNorm(1, 2, 3, 896, 1, 1e-6f);
            k.rope(1, 2, 3, 5, 14, 64, 2);
            k.attention(1, 2, 3, 4, 5, 14, 2, 64, 0.125f, 0, 4096, 2);
            k.siluMul(1, 2, 3, 4864);
            k.add(1, 2, 3, 896);
            k.addBias(1, 2, 896, 896 * 3);
            k.copy(1, 2, 128);
            k.copyToPosition(1, 2, 3, 128, 128);
            k.argmax(1, 151936, 2);
        }
        assertThat(launched).as("every kernel of the PTX has a launcher").containsExactlyInAnyOrderElementsOf(signatures.keySet());
    }

    @Test
    void ptxDeclaresTheKernels() {
        assertThat(signatures.get("lort_ternary_matvec")).containsExactly(8, 8, 8, 8, 8, 8, 4, 4, 4);
    }
}
