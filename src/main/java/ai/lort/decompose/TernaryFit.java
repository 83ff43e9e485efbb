package ai.lort.decompose;

/**
 * The best ternary approximation {@code s·t} (t in {-1, 0, +1}) of one row {@code r}: alternate the
 * threshold rule {@code t = sign(r)·[|r| > s/2]} (optimal for a fixed s) and the least-squares
 * scale {@code s = <r, t> / <t, t>} (optimal for a fixed t) until t stops changing. Each step
 * lowers {@code ‖r − s·t‖²}, so it converges; the start is the classic ternary-weight-network
 * guess, threshold 0.7·mean|r|, or the row's previous scale when warm.
 */
public final class TernaryFit {
    static final int MAX_STEPS = 30;

    private TernaryFit() {}

    /**
     * Fits row {@code r[off..off+n)} and writes its codes into {@code t[off..off+n)}.
     * @param warmScale the scale from an earlier fit of a similar row, or a value ≤ 0 for none
     * @return the scale s (0 for an all-zero row)
     */
    public static float fitRow(float[] r, int off, int n, byte[] t, float warmScale) {
        double s;
        if (warmScale > 0) {
            s = warmScale;
        } else {
            double meanAbs = 0;
            for (int i = 0; i < n; i++) meanAbs += Math.abs(r[off + i]);
            meanAbs /= n;
            s = 2 * 0.7 * meanAbs; // threshold s/2 = 0.7·mean|r|
        }
        if (!(s > 0)) { java.util.Arrays.fill(t, off, off + n, (byte) 0); return 0f; }
        int previousCount = -1;
        double previousSum = Double.NaN;
        for (int step = 0; step < MAX_STEPS; step++) {
            float half = (float) (s / 2);
            double sum = 0;
            int count = 0;
            for (int i = 0; i < n; i++) {
                float v = r[off + i];
                if (v > half) { sum += v; count++; }
                else if (v < -half) { sum -= v; count++; }
            }
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
        for (int i = 0; i < n; i++) {
            float v = r[off + i];
            t[off + i] = v > half ? (byte) 1 : v < -half ? (byte) -1 : (byte) 0;
        }
        return (float) s;
    }
}
