package ai.lort.pack;

import static org.assertj.core.api.Assertions.assertThat;

import ai.lort.format.CompressedLayer;
import ai.lort.format.LortFile;
import ai.lort.format.LortFormat;
import ai.lort.format.LortWriter;
import ai.lort.format.Packing;
import ai.lort.format.ScaleEncoding;
import ai.lort.testing.KernelChecks;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TritPackerTest {
    @TempDir Path tmp;

    @Test
    void documentedByteLayout() {
        // Weights -1, 0, +1, +1, -1 → codes 0, 1, 2, 2, 0 → 0 + 1·3 + 2·9 + 2·27 + 0·81 = 75; then one weight 0 and 4 padding zeros → 1+3+9+27+81 = 121.
        byte[] packed = TritPacker.pack(new byte[] {-1, 0, 1, 1, -1, 0}, 1, 6);
        assertThat(packed).containsExactly((byte) 75, (byte) 121);
        assertThat(TritPacker.rowBytes(6)).isEqualTo(2);
    }

    @Test
    void writtenReadAndRunByTheKernelWithAndWithoutRotation() {
        Random rnd = new Random(5);
        for (int cols : new int[] {64, 172, 7}) {
            int rows = 11, rank = 1;
            byte[] t = new byte[rows * cols];
            for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
            float[] s = new float[rows], a = new float[rank * cols], b = new float[rows * rank];
            for (int i = 0; i < rows; i++) s[i] = Float.float16ToFloat(Float.floatToFloat16(0.05f + rnd.nextFloat()));
            for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
            for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian() * 0.1f));
            for (Hadamard rot : new Hadamard[] {null, Hadamard.of(cols, 3)}) {
                Path out = tmp.resolve("t" + cols + (rot == null ? "" : "r") + ".lort");
                try (LortWriter w = LortWriter.create(out)) {
                    w.addLayer(CompressedLayer.encode("l", rows, cols, rank, Packing.T3_B5, ScaleEncoding.ROW_F16, s, t, a, b, rot), null);
                    w.finish(JsonNodeFactory.instance.objectNode());
                }
                try (LortFile f = LortFile.open(out)) {
                    CompressedLayer l = f.layers().get("l");
                    assertThat(f.version()).isEqualTo("1.1");
                    assertThat(l.codes().byteSize()).isEqualTo((long) rows * ((cols + 4) / 5));
                    for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) assertThat(l.ternary(i, j)).isEqualTo(t[i * cols + j]);
                    KernelChecks.kernelMatchesReferenceAndReconstruction(l, rnd);
                }
            }
        }
    }
}
