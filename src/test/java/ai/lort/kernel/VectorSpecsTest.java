package ai.lort.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.ShortVector;
import org.junit.jupiter.api.Test;

class VectorSpecsTest {
    /** Bit for bit, except that any NaN matches any NaN. */
    @Test
    void halfToFloatMatchesTheJdkOnAll65536Halves() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] out = new float[VectorSpecs.S.length()];
        int mismatches = 0;
        for (int i = 0; i < all.length; i += out.length) {
            VectorSpecs.halfToFloat(ShortVector.fromArray(VectorSpecs.S, all, i)).intoArray(out, 0);
            for (int j = 0; j < out.length; j++) {
                int want = Float.floatToRawIntBits(Float.float16ToFloat(all[i + j]));
                int got = Float.floatToRawIntBits(out[j]);
                // NaN payloads may differ: the JDK's intrinsic (vcvtph2ps) quiets signalling NaNs.
                boolean same = want == got || (Float.isNaN(out[j]) && Float.isNaN(Float.float16ToFloat(all[i + j])));
                if (!same && mismatches++ < 10)
                    System.err.printf("half %04x: want %08x got %08x%n", i + j, want, got);
            }
        }
        assertThat(mismatches).isZero();
    }
}
