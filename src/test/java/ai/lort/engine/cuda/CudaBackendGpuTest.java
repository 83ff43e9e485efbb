package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.testing.SharedData;
import ai.lort.tools.GpuCheck;
import ai.lort.tools.SyntheticModel;
import ai.lort.weights.SafetensorsWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA backend against the CPU backend (same greedy continuation, logits within 1e-2), as
 * {@link GpuCheck} runs it. Skips with a message where no GPU is usable.
 */
class CudaBackendGpuTest {
    @BeforeEach
    void needsAGpu() {
        String problem = Devices.cudaProblem();
        assumeTrue(problem == null, "skipped: CUDA tests need a usable NVIDIA GPU (" + problem + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void matchesTheCpuBackend(String model) {
        try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(SharedData.require("models/" + model))))) {
            assertThat(new GpuCheck().compare(w, model)).isZero();
        }
    }

    @Test
    void ternaryKernelMatchesTheCpuKernel() {
        try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 8, 6)) {
            assertThat(new GpuCheck().compare(w, "tiny-synthetic t2-g64 rank 8")).isZero();
        }
    }
}
