package ai.lort.tools;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.engine.cpu.CpuBackend;
import ai.lort.model.LlamaModel;
import ai.lort.pack.TernaryPacker;
import org.junit.jupiter.api.Test;

/** The synthetic models the GPU check and benchmark use run on the CPU backend. */
class SyntheticModelTest {
    @Test
    void denseAndCompressedTinyModelsRunOnTheCpu() {
        for (int rank : new int[] {-1, 0, 8}) {
            try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, rank, 3);
                 LlamaModel m = LlamaModel.load(w, new CpuBackend(1), 16, 4)) {
                m.prefill(new int[] {1, 2, 3, 4, 5}, 0, 5, 0);
                float[] logits = new float[m.vocabSize()];
                m.logits(0, logits);
                assertThat(logits).as("rank %d", rank).hasSize(512);
                for (float v : logits) assertThat(Float.isFinite(v)).isTrue();
                assertThat(logits[GpuCheck.argmax(logits)]).isGreaterThan(logits[(GpuCheck.argmax(logits) + 1) % 512]);
            }
        }
    }

    @Test
    void compressedLayersHoldValidCodesAndZeroPadding() {
        try (SyntheticModel w = new SyntheticModel(SyntheticModel.TINY, 4, 5)) {
            var layer = w.compressed("model.layers.0.mlp.down_proj.weight").orElseThrow();
            assertThat(layer.cols()).isEqualTo(172);
            byte[] codes = layer.codes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            int rb = TernaryPacker.rowBytes(172);
            for (int r = 0; r < layer.rows(); r++)
                for (int c = 0; c < rb * 4; c++) {
                    int code = (codes[r * rb + TernaryPacker.byteIndex(c)] >> TernaryPacker.shift(c)) & 3;
                    assertThat(code).isLessThan(3);
                    if (c >= 172) assertThat(code).as("padding").isEqualTo(1);
                }
        }
    }
}
