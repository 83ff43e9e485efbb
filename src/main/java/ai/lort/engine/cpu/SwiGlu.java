package ai.lort.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** SwiGLU's gate: {@code g[i] = silu(g[i]) · u[i]} with {@code silu(x) = x / (1 + e^-x)}. */
final class SwiGlu {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SwiGlu() {}

    /**
     * For i < n: whole vectors with {@link VectorExp}, the tail exactly as {@link #scalarSiluMul}.
     * Within a few ulp of the reference (the two exps differ by up to 2 ulp).
     */
    static void siluMul(float[] g, float[] u, int n) {
        int len = F.length(), i = 0;
        for (int upper = n - len; i <= upper; i += len) {
            FloatVector x = FloatVector.fromArray(F, g, i);
            FloatVector e = VectorExp.exp(x.neg()).add(1f);
            x.div(e).mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
        }
        for (; i < n; i++) g[i] = g[i] / (1.0f + (float) Math.exp(-g[i])) * u[i];
    }

    /** The reference: {@link Math#exp}, one value at a time. */
    static void scalarSiluMul(float[] g, float[] u, int n) {
        for (int i = 0; i < n; i++) g[i] = g[i] / (1.0f + (float) Math.exp(-g[i])) * u[i];
    }
}
