package ai.lort.weights;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.kernel.Matrices;
import ai.lort.kernel.Matrix;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.model.LlamaModel;
import ai.lort.testing.Cli;
import ai.lort.testing.SharedData;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A .lort model run through its packed kernels gives the same logits as the same model with every
 * compressed layer reconstructed to a dense Ŵ = diag(s)·T + B·A.
 */
class LortWeightsTest {
    @TempDir Path tmp;

    /** The .lort file's weights with every compressed layer expanded to dense float32. */
    static final class Reconstructed implements WeightSource {
        final LortWeights inner;

        Reconstructed(LortWeights inner) { this.inner = inner; }

        public Optional<byte[]> file(String name) { return inner.file(name); }
        public boolean has(String t) { return inner.has(t); }
        public java.util.Set<String> names() { return inner.names(); }
        public Optional<Entry> entry(String name) { return inner.entry(name); }
        public Matrix matrix(String name) {
            CompressedLayer l = inner.file().layers().get(name);
            if (l == null) return inner.matrix(name);
            float[] w = LortFile.reconstruct(l);
            return Matrices.dense(new Tensor(name, DType.F32, new long[] {l.rows(), l.cols()}, MemorySegment.ofArray(w)));
        }
        public Tensor tensor(String name) { return inner.tensor(name); }
        public float[] vector(String name) { return inner.vector(name); }
        public int rows(String name) { return inner.rows(name); }
        public void embedding(String name, int token, float[] out) { inner.embedding(name, token, out); }
        public void close() { inner.close(); }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"t2-g64", "t3-b5"})
    void packedKernelsMatchTheDenseReconstruction(String packing) {
        Path model = SharedData.require("models/stories260K");
        Path out = tmp.resolve("s.lort");
        // Every linear layer (k/v are 32 x 64), a rank term where the budget allows one; the
        // calibrated method's encodings (row-f16 scales, Hadamard rotation) with a small calibration.
        assertThat(Cli.run("compress", "-m", model.toString(), "-o", out.toString(), "--min-dim", "32", "--bpw", "3", "--heal-steps", "0", "-q",
                "--packing", packing, "--calibration-samples", "4", "--calibration-length", "64").exitCode()).isZero();
        int[] prompt = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};
        float[][] logits = new float[2][];
        for (int variant = 0; variant < 2; variant++) {
            LortWeights packed = new LortWeights(LortFile.open(out));
            assertThat(packed.file().layers()).hasSize(35);
            assertThat(packed.file().layers().values()).anyMatch(l -> l.rank() > 0);
            WeightSource w = variant == 0 ? packed : new Reconstructed(packed);
            try (LlamaModel m = LlamaModel.load(w, new CpuBackend(2), 64)) {
                m.prefill(prompt, 0, prompt.length, 0);
                logits[variant] = new float[m.vocabSize()];
                m.logits(0, logits[variant]);
            } finally {
                w.close();
            }
        }
        float maxAbs = 0;
        for (float v : logits[1]) maxAbs = Math.max(maxAbs, Math.abs(v));
        for (int i = 0; i < logits[0].length; i++)
            assertThat(logits[0][i]).as("logit " + i).isCloseTo(logits[1][i], org.assertj.core.data.Offset.offset(1e-4f * Math.max(1f, maxAbs)));
    }
}
