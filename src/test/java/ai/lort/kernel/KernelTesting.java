package ai.lort.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Helpers for kernel tests: weights in off-heap and heap segments, random inputs, tolerances. */
final class KernelTesting {
    private KernelTesting() {}

    /**
     * A copy of {@code bytes} placed at an odd address (mapped tensors need not be aligned), or a
     * plain heap segment, so both kinds of segment are exercised.
     */
    static MemorySegment segment(byte[] bytes, boolean offHeap) {
        if (!offHeap) return MemorySegment.ofArray(bytes);
        MemorySegment s = Arena.ofAuto().allocate(bytes.length + 1L, 64).asSlice(1, bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 0, bytes.length);
        return s;
    }

    static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** Asserts {@code |got - want| <= 1e-5 · bound + 1e-6} per element, where bound is {@code Σ |terms|}. */
    static void assertClose(float[] got, float[] want, double[] bound, String what) {
        for (int i = 0; i < want.length; i++)
            assertThat((double) got[i]).as("%s element %d", what, i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5 * bound[i] + 1e-6));
    }
}
