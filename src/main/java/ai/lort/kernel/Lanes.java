package ai.lort.kernel;

import jdk.incubator.vector.FloatVector;

/** Lane reductions with a fixed order. */
public final class Lanes {
    private Lanes() {}

    /**
     * Sum of the lanes, first to last. {@code reduceLanes(ADD)} may add in a different order when
     * interpreted than once compiled, so the same input could give a different last bit on the first
     * call than on later ones; greedy decoding and compression must not depend on JIT timing.
     */
    public static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float x : lanes) s += x;
        return s;
    }
}
