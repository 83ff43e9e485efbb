package ai.lort.pack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GroupQuantizerTest {
    @Test
    void fourBitLayoutIsQ40Order() {
        // Weights j = 0..31 of one group: value (j % 16) - 8 times 0.5, so codes are exact.
        float[] w = new float[32];
        for (int j = 0; j < 32; j++) w[j] = 0.5f * ((j % 16) - 8);
        w[17] = 0.5f * 7; // high nibble of byte 1
        byte[] codes = new byte[16];
        short[] scales = new short[1];
        GroupQuantizer.quantizeRow(w, 0, 32, 4, codes, 0, scales, 0);
        float d = Float.float16ToFloat(scales[0]);
        for (int j = 0; j < 32; j++) assertThat(d * GroupQuantizer.code(codes, 0, j, 4)).as("weight %d", j).isEqualTo(w[j]);
        // byte 1: low nibble weight 1 (code -7 -> 1), high nibble weight 17 (code 7 -> 15)
        assertThat(codes[1] & 0xFF).isEqualTo(1 | 15 << 4);
    }

    @Test
    void errorIsSmallAndNotWorseThanTheLargestMagnitudeScale() {
        Random rnd = new Random(3);
        int cols = 96 + 17; // a padded last group
        float[] w = new float[cols];
        for (int j = 0; j < cols; j++) w[j] = (float) rnd.nextGaussian();
        for (int bits : new int[] {8, 4}) {
            byte[] codes = new byte[GroupQuantizer.rowBytes(cols, bits)];
            short[] scales = new short[GroupQuantizer.groups(cols)];
            GroupQuantizer.quantizeRow(w, 0, cols, bits, codes, 0, scales, 0);
            double err = 0, norm = 0, naive = 0;
            for (int j = 0; j < cols; j++) {
                int c = GroupQuantizer.code(codes, 0, j, bits);
                assertThat(c).isBetween(bits == 8 ? -127 : -8, bits == 8 ? 127 : 7);
                double v = Float.float16ToFloat(scales[j / 32]) * c;
                err += (w[j] - v) * (w[j] - v);
                norm += w[j] * w[j];
            }
            for (int g = 0; g < scales.length; g++) {
                float amax = 0;
                for (int j = g * 32; j < Math.min(cols, g * 32 + 32); j++) amax = Math.max(amax, Math.abs(w[j]));
                float d = Float.float16ToFloat(Float.floatToFloat16(amax / (bits == 8 ? 127 : 7)));
                for (int j = g * 32; j < Math.min(cols, g * 32 + 32); j++) {
                    double v = d * Math.clamp(Math.round(w[j] / d), bits == 8 ? -127 : -8, bits == 8 ? 127 : 7);
                    naive += (w[j] - v) * (w[j] - v);
                }
            }
            assertThat(err).isLessThanOrEqualTo(naive);
            assertThat(Math.sqrt(err / norm)).isLessThan(bits == 8 ? 0.01 : 0.12);
            // Padding past the row is code 0.
            if (cols % 32 != 0) assertThat(GroupQuantizer.code(codes, 0, GroupQuantizer.groups(cols) * 32 - 1, bits)).isZero();
        }
    }

    @Test
    void zeroGroupsGetZeroScaleAndCodes() {
        byte[] codes = new byte[16];
        short[] scales = {7};
        GroupQuantizer.quantizeRow(new float[32], 0, 32, 4, codes, 0, scales, 0);
        assertThat(scales[0]).isZero();
        for (byte b : codes) assertThat(b & 0xFF).isEqualTo(0x88);
    }
}
