package ai.lort.heal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Gradient checks: central finite differences of a double-precision reference, and comparisons
 * of the float operations against it. A comparison's error is the largest absolute difference
 * over the array divided by the largest magnitude of the reference array, so that one tolerance
 * fits every shape and scale.
 */
final class GradCheck {
    /**
     * Float forward against the double reference, and float backward against the double finite
     * differences, in {@link #relativeError}. Measured on these tests' shapes: at most 5e-7.
     */
    static final double FORWARD_TOLERANCE = 1e-5, GRADIENT_TOLERANCE = 1e-5;

    private GradCheck() {}

    /**
     * {@code ∂loss/∂x_i ≈ (loss(x + h·e_i) − loss(x − h·e_i)) / 2h} for every i, x perturbed in
     * place (and restored); in double the error is about h² and 1e-16/h, so h = 1e-5 gives ~1e-10.
     */
    static double[] numeric(double[] x, DoubleSupplier loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double xi = x[i], h = 1e-5 * Math.max(1, Math.abs(xi));
            x[i] = xi + h;
            double up = loss.getAsDouble();
            x[i] = xi - h;
            double down = loss.getAsDouble();
            x[i] = xi;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** {@code max |actual − expected| / max |expected|}. */
    static double relativeError(float[] actual, double[] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < actual.length; i++) {
            diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return diff / scale;
    }

    static void assertClose(String what, float[] actual, double[] expected, double tolerance) {
        assertThat(relativeError(actual, expected)).as(what).isLessThanOrEqualTo(tolerance);
    }

    /** A backward's accumulated gradient ({@code after − before}) against finite differences. */
    static void assertGradient(String what, float[] after, float[] before, double[] numeric) {
        float[] added = new float[after.length];
        for (int i = 0; i < after.length; i++) added[i] = after[i] - before[i];
        assertClose(what, added, numeric, GRADIENT_TOLERANCE);
    }

    /** {@code Σ out ∘ weights}: the scalar the checks differentiate (weights are the upstream gradient). */
    static double dot(double[] out, float[] weights) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * weights[i];
        return s;
    }

    static float[] gaussian(Random rnd, int n, double sd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * sd);
        return x;
    }

    static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
