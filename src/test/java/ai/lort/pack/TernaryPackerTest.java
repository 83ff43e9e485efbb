package ai.lort.pack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TernaryPackerTest {
    @Test
    void roundTripsOddWidths() {
        Random rnd = new Random(1);
        for (int cols : new int[] {1, 63, 64, 65, 172, 896}) {
            int rows = 3;
            byte[] t = new byte[rows * cols];
            for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
            byte[] packed = TernaryPacker.pack(t, rows, cols);
            assertThat(packed).hasSize(rows * TernaryPacker.rowBytes(cols));
            assertThat(TernaryPacker.unpack(packed, rows, cols)).isEqualTo(t);
        }
    }

    @Test
    void layoutIsTheDocumentedOne() {
        // weight 17 = group 0, k = 1, i = 1 -> byte 1, bits 2..3; value +1 -> code 2.
        byte[] t = new byte[64];
        t[17] = 1;
        t[0] = -1; // byte 0, bits 0..1, code 0
        byte[] p = TernaryPacker.pack(t, 1, 64);
        assertThat(p[1] & 0xFF).isEqualTo(0b01011001);
        assertThat(p[0] & 0xFF).isEqualTo(0b01010100);
        assertThat(p[2] & 0xFF).isEqualTo(0x55);
    }
}
