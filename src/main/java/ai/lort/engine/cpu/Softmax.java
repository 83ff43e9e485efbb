package ai.lort.engine.cpu;

import ai.lort.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Softmax of attention scores in place: {@code att[j] = exp(att[j] - max) / Σ exp(att[i] - max)}. */
final class Softmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Softmax() {}

    /**
     * Over {@code att[0, count)}: whole vectors with {@link VectorExp} and one running vector sum
     * (added up by {@link Lanes#sum}), the tail with {@link Math#exp}. Within a few ulp of
     * {@link #scalarSoftmax}, not equal: another exp and another order of the sum.
     */
    static void softmax(float[] att, int count) {
        int len = F.length(), whole = count / len * len;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) max = Math.max(max, att[j]);
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < whole; j += len) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, att, j).sub(max));
            e.intoArray(att, j);
            sum = sum.add(e);
        }
        float total = Lanes.sum(sum);
        for (int j = whole; j < count; j++) {
            att[j] = (float) Math.exp(att[j] - max);
            total += att[j];
        }
        for (int j = 0; j < whole; j += len) FloatVector.fromArray(F, att, j).div(total).intoArray(att, j);
        for (int j = whole; j < count; j++) att[j] /= total;
    }

    /**
     * The reference, over {@code att[from, to)}: {@link Math#exp} and a float sum in order. The
     * attention of a single token (decode, {@link AttentionTask.Pair}) runs this one as well.
     */
    static void scalarSoftmax(float[] att, int from, int to) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = from; s < to; s++) max = Math.max(max, att[s]);
        float sum = 0;
        for (int s = from; s < to; s++) {
            att[s] = (float) Math.exp(att[s] - max);
            sum += att[s];
        }
        for (int s = from; s < to; s++) att[s] /= sum;
    }
}
