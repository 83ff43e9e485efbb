package ai.lort.decompose;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dense kernels the decomposition needs. Thin matrices (a few dozen rows) are stored
 * transposed, so that every product with a large weight matrix {@code W} (m × n, row-major) is a
 * single streaming pass over {@code W} with vectorized loops along its rows.
 */
public final class Linalg {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Linalg() {}

    /** Dot product of {@code a[ao..ao+n)} and {@code b[bo..bo+n)}. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length())
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        float s = sumLanes(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /**
     * Sum of the lanes in lane order. {@code reduceLanes(ADD)} may add in a different order when
     * interpreted than when compiled, and compression must give the same file for the same seed.
     */
    static float sumLanes(FloatVector v) {
        return ai.lort.kernel.Lanes.sum(v);
    }

    /** {@code y[yo..yo+n) += alpha · x[xo..xo+n)}. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length())
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /**
     * Orthonormalizes the l rows (each of length m) of {@code vt} in place by modified Gram-Schmidt,
     * run twice for numerical safety. A row that becomes (numerically) zero is left zero.
     */
    public static void orthonormalizeRows(float[] vt, int l, int m) {
        double[] row = new double[m];
        double[][] q = new double[l][];
        for (int j = 0; j < l; j++) {
            for (int i = 0; i < m; i++) row[i] = vt[j * m + i];
            double norm0 = norm(row);
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < j; k++) {
                    if (q[k] == null) continue;
                    double d = 0;
                    for (int i = 0; i < m; i++) d += q[k][i] * row[i];
                    for (int i = 0; i < m; i++) row[i] -= d * q[k][i];
                }
            }
            double nrm = norm(row);
            if (nrm <= 1e-10 * Math.max(norm0, 1e-30) || nrm == 0) {
                q[j] = null;
                for (int i = 0; i < m; i++) vt[j * m + i] = 0f;
                continue;
            }
            q[j] = new double[m];
            for (int i = 0; i < m; i++) {
                q[j][i] = row[i] / nrm;
                vt[j * m + i] = (float) q[j][i];
            }
        }
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s);
    }

    /**
     * Eigen-decomposition of a symmetric l × l matrix by cyclic Jacobi rotations (l is small here).
     * Returns eigenvalues in descending order; {@code vectors[i][k]} is component i of eigenvector k.
     */
    public static double[] symmetricEigen(double[][] a, double[][] vectors) {
        int l = a.length;
        double[][] s = new double[l][];
        for (int i = 0; i < l; i++) s[i] = a[i].clone();
        for (int i = 0; i < l; i++) { java.util.Arrays.fill(vectors[i], 0); vectors[i][i] = 1; }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < l; p++) for (int q = p + 1; q < l; q++) off += s[p][q] * s[p][q];
            if (off < 1e-30) break;
            for (int p = 0; p < l; p++) {
                for (int q = p + 1; q < l; q++) {
                    if (Math.abs(s[p][q]) < 1e-300) continue;
                    double theta = (s[q][q] - s[p][p]) / (2 * s[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), sn = t * c;
                    for (int k = 0; k < l; k++) {
                        double skp = s[k][p], skq = s[k][q];
                        s[k][p] = c * skp - sn * skq;
                        s[k][q] = sn * skp + c * skq;
                    }
                    for (int k = 0; k < l; k++) {
                        double spk = s[p][k], sqk = s[q][k];
                        s[p][k] = c * spk - sn * sqk;
                        s[q][k] = sn * spk + c * sqk;
                    }
                    for (int k = 0; k < l; k++) {
                        double vkp = vectors[k][p], vkq = vectors[k][q];
                        vectors[k][p] = c * vkp - sn * vkq;
                        vectors[k][q] = sn * vkp + c * vkq;
                    }
                }
            }
        }
        // Sort descending.
        Integer[] order = new Integer[l];
        for (int i = 0; i < l; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y][y], s[x][x]));
        double[] values = new double[l];
        double[][] sorted = new double[l][l];
        for (int k = 0; k < l; k++) {
            values[k] = s[order[k]][order[k]];
            for (int i = 0; i < l; i++) sorted[i][k] = vectors[i][order[k]];
        }
        for (int i = 0; i < l; i++) vectors[i] = sorted[i];
        return values;
    }
}
