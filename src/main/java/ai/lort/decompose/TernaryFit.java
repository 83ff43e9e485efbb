package ai.lort.decompose;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The best ternary approximation {@code s·t} (t in {-1, 0, +1}) of one row {@code r}: alternate the
 * threshold rule {@code t = sign(r)·[|r| > s/2]} (optimal for a fixed s) and the least-squares
 * scale {@code s = <r, t> / <t, t>} (optimal for a fixed t) until t stops changing. Each step
 * lowers {@code ‖r − s·t‖²}, so it converges; the start is the classic ternary-weight-network
 * guess, threshold 0.7·mean|r|, or the row's previous scale when warm.
 */
public final class TernaryFit {
    static final int MAX_STEPS = 30;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private TernaryFit() {}

    /** out[0] = Σ |r_i| and out[1] = count over the entries with |r_i| > half (one vectorized pass). */
    static void support(float[] r, int off, int n, float half, double[] out) {
        FloatVector acc = FloatVector.zero(F);
        int count = 0, i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector a = FloatVector.fromArray(F, r, off + i).abs();
            VectorMask<Float> above = a.compare(VectorOperators.GT, half);
            acc = acc.add(a, above);
            count += above.trueCount();
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float a = Math.abs(r[off + i]);
            if (a > half) { sum += a; count++; }
        }
        out[0] = sum;
        out[1] = count;
    }

    /**
     * Fits row {@code r[off..off+n)} and writes its codes into {@code t[off..off+n)}.
     * @param warmScale the scale from an earlier fit of a similar row, or a value ≤ 0 for none
     * @param squaredError if not null, {@code ‖r − s·t‖²} of the row is added to element 0
     * @return the scale s (0 for an all-zero row)
     */
    public static float fitRow(float[] r, int off, int n, byte[] t, float warmScale, double[] squaredError) {
        double s;
        if (warmScale > 0) {
            s = warmScale;
        } else {
            double meanAbs = 0;
            for (int i = 0; i < n; i++) meanAbs += Math.abs(r[off + i]);
            meanAbs /= n;
            s = 2 * 0.7 * meanAbs; // threshold s/2 = 0.7·mean|r|
        }
        if (!(s > 0)) {
            java.util.Arrays.fill(t, off, off + n, (byte) 0);
            if (squaredError != null) for (int i = 0; i < n; i++) squaredError[0] += (double) r[off + i] * r[off + i];
            return 0f;
        }
        int previousCount = -1;
        double previousSum = Double.NaN;
        double[] support = new double[2];
        for (int step = 0; step < MAX_STEPS; step++) {
            float half = (float) (s / 2);
            support(r, off, n, half, support);
            double sum = support[0];
            int count = (int) support[1];
            if (count == 0) { // threshold above every value: keep the largest magnitude only
                s = 0;
                for (int i = 0; i < n; i++) s = Math.max(s, Math.abs(r[off + i]));
                s *= 0.999;
                continue;
            }
            double next = sum / count;
            // t is a function of the threshold; the same (count, sum) means the same support.
            boolean stable = count == previousCount && sum == previousSum;
            s = next;
            previousCount = count;
            previousSum = sum;
            if (stable) break;
        }
        float half = (float) (s / 2);
        float scale = (float) s;
        double err = 0;
        for (int i = 0; i < n; i++) {
            float v = r[off + i];
            byte q = v > half ? (byte) 1 : v < -half ? (byte) -1 : (byte) 0;
            t[off + i] = q;
            float d = v - scale * q;
            err += d * d;
        }
        if (squaredError != null) squaredError[0] += err;
        return scale;
    }
}
