package ai.lort.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.lort.LortException;
import ai.lort.decompose.RankPlanner;
import ai.lort.testing.KernelChecks;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code row-f16} scale encoding (format 1.1): written, read back, run by the kernel, counted. */
class RowF16ScalesTest {
    @TempDir Path tmp;

    @Test
    void writtenAsVersion11ReadBackAndRunByTheKernel() {
        int rows = 70, cols = 130, rank = 2;
        Random rnd = new Random(3);
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        float[] s = new float[rows], a = new float[rank * cols], b = new float[rows * rank];
        for (int i = 0; i < rows; i++) s[i] = Float.float16ToFloat(Float.floatToFloat16(0.01f + rnd.nextFloat() * 0.1f));
        for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian() * 0.1f));
        Path out = tmp.resolve("x.lort");
        try (LortWriter w = LortWriter.create(out)) {
            w.addLayer(CompressedLayer.encode("l", rows, cols, rank, Packing.T2_G64, ScaleEncoding.ROW_F16, s, t, a, b, null), null);
            w.finish(JsonNodeFactory.instance.objectNode());
        }
        try (LortFile f = LortFile.open(out)) {
            assertThat(f.version()).isEqualTo("1.1");
            CompressedLayer l = f.layers().get("l");
            assertThat(l.scaleEncoding()).isEqualTo(ScaleEncoding.ROW_F16);
            assertThat(l.scales().byteSize()).isEqualTo(2L * rows);
            float[] dense = LortFile.reconstruct(l);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                    float v = s[i] * t[i * cols + j];
                    for (int k = 0; k < rank; k++) v += b[i * rank + k] * a[k * cols + j];
                    assertThat(dense[i * cols + j]).isCloseTo(v, within(1e-5f));
                }
            KernelChecks.kernelMatchesReferenceAndReconstruction(l, rnd);
        }
    }

    @Test
    void readersRefuseAnUnknownScaleEncodingByName() throws Exception {
        Path out = tmp.resolve("y.lort");
        try (LortWriter w = LortWriter.create(out)) {
            w.addLayer(CompressedLayer.encode("l", 2, 3, 0, Packing.T2_G64, ScaleEncoding.ROW_F16, new float[2], new byte[6], new float[0], new float[0], null), null);
            w.finish(JsonNodeFactory.instance.objectNode());
        }
        // Same length, so the index CRC is the only other thing to fix up: rewrite it.
        byte[] bytes = Files.readAllBytes(out);
        String s = new String(bytes, StandardCharsets.ISO_8859_1).replace("\"row-f16\"", "\"row-f8x\"");
        byte[] changed = s.getBytes(StandardCharsets.ISO_8859_1);
        var pre = java.nio.ByteBuffer.wrap(changed).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long off = pre.getLong(16), len = pre.getLong(24);
        var crc = new java.util.zip.CRC32C();
        crc.update(changed, (int) off, (int) len);
        pre.putInt(32, (int) crc.getValue());
        Files.write(out, changed);
        assertThatThrownBy(() -> LortFile.open(out)).isInstanceOf(LortException.class)
                .hasMessageContaining("scales 'row-f8x'").hasMessageContaining("row-f16");
    }

    @Test
    void bitsPerWeightCountsTheSmallerScales() {
        // 64 × 172: codes pad 172 to 192 (48 bytes a row), a float16 scale is 16 bits a row.
        assertThat(CompressedLayer.bitsPerWeight(64, 172, 0, 16, Packing.T2_G64)).isCloseTo((8.0 * 48 + 16) / 172, within(1e-12));
        assertThat(CompressedLayer.bitsPerWeight(64, 172, 0, 32, Packing.T2_G64)).isCloseTo((8.0 * 48 + 32) / 172, within(1e-12));
        assertThat(RankPlanner.rankFor(64, 64, 2.3, 16, Packing.T2_G64)).isZero();
        assertThat(RankPlanner.rankFor(896, 896, 2.3, 16, Packing.T2_G64)).isEqualTo(7); // floor(0.282·896²/(16·1792))
    }
}
