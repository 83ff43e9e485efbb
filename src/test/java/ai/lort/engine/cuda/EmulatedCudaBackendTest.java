package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.load.LocalModel;
import ai.lort.load.SourceModel;
import ai.lort.model.LlamaModel;
import ai.lort.format.LortFile;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import ai.lort.tools.GpuCheck;
import ai.lort.tools.SyntheticModel;
import ai.lort.weights.SafetensorsWeights;
import ai.lort.weights.LortWeights;
import ai.lort.weights.WeightSource;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CudaBackend} with the kernels emulated in Java ({@link EmulatedGpu}) against the CPU backend:
 * the GPU backend's buffers, offsets, launches and graph replays, checked without a GPU.
 */
class EmulatedCudaBackendTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};

    /** Greedy decoding in lock step; returns the largest logit difference. */
    static float compare(WeightSource w, EmulatedGpu gpu, boolean fused, boolean graphs, int steps) {
        CudaBackend cuda = new CudaBackend(gpu, graphs);
        cuda.setFusedLowRank(fused);
        try (LlamaModel cpu = LlamaModel.load(w, new CpuBackend(1), PROMPT.length + steps + 1, 4);
             LlamaModel dev = LlamaModel.load(w, cuda, PROMPT.length + steps + 1, 4)) {
            float[] lc = new float[cpu.vocabSize()], lg = new float[dev.vocabSize()];
            cpu.prefill(PROMPT, 0, PROMPT.length, 0);  // batches of 4 then 1
            dev.prefill(PROMPT, 0, PROMPT.length, 0);
            float max = 0;
            int[] next = new int[1];
            for (int s = 0; s <= steps; s++) {
                cpu.logits(0, lc);
                dev.logits(0, lg);
                for (int i = 0; i < lc.length; i++) max = Math.max(max, Math.abs(lc[i] - lg[i]));
                next[0] = GpuCheck.argmax(lc);
                if (s == steps) break;
                cpu.forward(next, 0, 1, PROMPT.length + s, false);
                dev.forward(next, 0, 1, PROMPT.length + s, false);
            }
            return max;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void matchesTheCpuBackendOnTheTestModels(String model) {
        try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(SharedData.require("models/" + model))))) {
            EmulatedGpu gpu = new EmulatedGpu();
            assertThat(compare(w, gpu, true, false, 6)).isLessThan(1e-4f);
        }
    }

    @ParameterizedTest
    @CsvSource({"true, false", "false, false", "true, true"})
    void matchesTheCpuBackendOnACompressedModel(boolean fused, boolean graphs) {
        try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 8, 11)) {
            EmulatedGpu gpu = new EmulatedGpu();
            assertThat(compare(w, gpu, fused, graphs, 8)).isLessThan(1e-4f);
            // the prompt's last token (a one-token batch) is recorded, the first step captured, the other 7 replayed
            if (graphs) assertThat(gpu.graphLaunches).as("steps replayed as graphs").isEqualTo(7);
        }
    }

    /**
     * stories260K compressed (weight-only, so quickly) with the encodings the defaults write — t3-b5
     * codes, row-f16 scales, the Hadamard rotation (blocks of 64 and of 4 inputs here: 172 = 4 · 43)
     * and the q4-g32 tied embedding/head — and with the other choices of each, every layer included
     * ({@code --min-dim 32}): the CUDA backend runs the file as the CPU does.
     */
    @ParameterizedTest
    @CsvSource({
        "t3-b5, row-f16, hadamard, q4, true",
        "t3-b5, row-f16, hadamard, q4, false",
        "t3-b5, row-f16, hadamard, q8, true",
        "t2-g64, row-f16, none, q8, true",
        "t2-g64, row-f32, hadamard, source, false",
        "t3-b5, row-f32, none, bf16, true",
    })
    void matchesTheCpuBackendOnLortFilesOfEveryEncoding(String packing, String scales, String rotation, String embeddings, boolean fused,
                                                        @TempDir Path tmp) {
        Path model = SharedData.require("models/stories260K"), file = tmp.resolve("s.lort");
        String[] args = {"compress", "-m", model.toString(), "--min-dim", "32", "--method", "als", "--heal-steps", "0", "--packing", packing,
            "--scales", scales, "--rotation", rotation, "--embeddings", embeddings, "-o", file.toString(), "-q"};
        Cli.Result r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (LortWeights w = new LortWeights(LortFile.open(file))) {
            assertThat(w.compressedLayers()).as("every linear layer").hasSize(35).allSatisfy(c -> {
                assertThat(c.packing().id()).isEqualTo(packing);
                assertThat(c.scaleEncoding().id()).isEqualTo(scales);
                assertThat(c.rotation() == null ? "none" : "hadamard").isEqualTo(rotation);
            });
            assertThat(w.quantized("model.embed_tokens.weight").map(q -> q.encoding().id().substring(0, 2)).orElse("none"))
                    .isEqualTo(embeddings.startsWith("q") ? embeddings : "none");
            assertThat(Devices.unsupportedLayers(w)).as("layers the CUDA kernels refuse").isNull();
            EmulatedGpu gpu = new EmulatedGpu();
            assertThat(compare(w, gpu, fused, false, 6)).isLessThan(1e-4f);
        }
    }

    @org.junit.jupiter.api.Test
    void aGenerationStepCopiesOneUploadInAndTheLogitsOut() {
        try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(SharedData.require("models/stories260K"))));
             LlamaModel m = LlamaModel.load(w, new CudaBackend(new EmulatedGpu(), true), 32, 4)) {
            EmulatedGpu gpu = (EmulatedGpu) ((CudaBackend) m.backend()).device();
            float[] logits = new float[m.vocabSize()];
            m.prefill(PROMPT, 0, PROMPT.length, 0);
            m.logits(0, logits);
            long in = gpu.copiesIn, out = gpu.copiesOut;
            int[] next = {GpuCheck.argmax(logits)};
            for (int s = 0; s < 5; s++) {
                m.forward(next, 0, 1, PROMPT.length + s, false);
                m.logits(0, logits);
                next[0] = GpuCheck.argmax(logits);
            }
            assertThat(gpu.copiesIn - in).as("uploads in 5 steps").isEqualTo(5);
            assertThat(gpu.copiesOut - out).as("downloads in 5 steps").isEqualTo(5);
            // a jump back (a new conversation at position 0) corrects the position with one more upload
            m.forward(next, 0, 1, 0, false);
            assertThat(gpu.copiesIn - in).isEqualTo(7);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tiny-qwen3"})
    void graphsReplayStepsWithTheSameResults(String model) {
        try (SafetensorsWeights w = new SafetensorsWeights(SourceModel.open(LocalModel.resolve(SharedData.require("models/" + model))))) {
            EmulatedGpu gpu = new EmulatedGpu();
            assertThat(compare(w, gpu, true, true, 10)).isLessThan(1e-4f);
            // the prompt's last token runs eagerly (recorded), step 1 too (then captured), steps 2-10 as graphs
            assertThat(gpu.graphLaunches).isEqualTo(9);
        }
    }
}
