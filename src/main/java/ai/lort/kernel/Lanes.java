package ai.lort.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Lane reductions with a fixed order. */
public final class Lanes {
    private static final VectorSpecies<Float> PREFERRED = FloatVector.SPECIES_PREFERRED;
    private static final int LENGTH = PREFERRED.length();
    // Rotations by 8, 4, 2 and 1 lanes; constants, so that C2 intrinsifies each rearrange.
    private static final VectorShuffle<Float> ROTATE_8 = rotation(8), ROTATE_4 = rotation(4), ROTATE_2 = rotation(2), ROTATE_1 = rotation(1);

    private Lanes() {}

    private static VectorShuffle<Float> rotation(int by) {
        return VectorShuffle.iota(PREFERRED, by % LENGTH, 1, true);
    }

    /**
     * Sum of the lanes by a fixed tree: add the vector rotated by half its length, then by a
     * quarter, and so on, and take lane 0. {@code reduceLanes(ADD)} adds in a different order when
     * interpreted than once compiled, so the first call could differ in the last bit from later
     * ones; greedy decoding and compression must not depend on JIT timing. Lane-wise adds and
     * shuffles are exact, so this tree gives the same bits either way.
     */
    public static float sum(FloatVector v) {
        if (v.species() != PREFERRED) return sumInOrder(v);
        if (LENGTH >= 16) v = v.add(v.rearrange(ROTATE_8));
        if (LENGTH >= 8) v = v.add(v.rearrange(ROTATE_4));
        if (LENGTH >= 4) v = v.add(v.rearrange(ROTATE_2));
        if (LENGTH >= 2) v = v.add(v.rearrange(ROTATE_1));
        if (LENGTH > 16) return sumInOrder(v); // wider than any CPU today: not a hot path
        return v.lane(0);
    }

    private static float sumInOrder(FloatVector v) {
        float s = 0;
        for (float x : v.toArray()) s += x;
        return s;
    }
}
