package ai.lort.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code e^x} per lane, within 2 ulp of {@link Math#exp} for x in [-87, 88] (below, a tiny normal
 * number instead of 0 or a subnormal; above, e^88 instead of infinity): Cephes' expf, x = n·ln 2 + r
 * with |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r, scaled by 2^n in the exponent bits.
 *
 * <p>Only adds, multiplies and FMAs, so the bits do not depend on whether C2 has compiled it
 * ({@code lanewise(EXP)} runs SVML once compiled, {@code Math.exp} before). {@link #scalarExp} is
 * the same arithmetic one float at a time: it gives the vector's bits exactly, lane by lane. Public
 * for the healing ops, whose softmaxes over a whole vocabulary need the speed and the same bits
 * whether compiled or not.
 */
public final class VectorExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** 1.5·2^23: added to a float in [-2^22, 2^22], it rounds it to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts, the first exact in few bits, so that n·ln 2 is subtracted without rounding error. */
    private static final float LN2_HI = -0.693359375f, LN2_LO = 2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    /** {@code ROUND}'s bits less the exponent bias: subtracted from the shifted bits, it leaves n + 127. */
    private static final int EXPONENT = 0x4B40_0000 - 127;

    private VectorExp() {}

    public static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector shifted = x.fma(LOG2E, ROUND);
        FloatVector n = shifted.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, LN2_LO), n.fma(FloatVector.broadcast(F, LN2_HI), x));
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector scale = shifted.reinterpretAsInts().sub(EXPONENT).lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats());
    }

    /**
     * {@code Σ e^(x[i] − shift)} for i in {@code [off, off + n)}, the terms written back into x when
     * {@code store}: whole vectors summed lane-wise, then the lanes and the tail in order (the same
     * bits for a given vector width).
     */
    public static double sumExp(float[] x, int off, int n, float shift, boolean store) {
        int len = F.length(), i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; i + len <= n; i += len) {
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(shift));
            if (store) e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        double sum = 0;
        for (int l = 0; l < len; l++) sum += acc.lane(l);
        for (; i < n; i++) {
            float e = scalarExp(x[off + i] - shift);
            if (store) x[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** The reference: {@link #exp(FloatVector)} for one float, step by step. */
    public static float scalarExp(float x) {
        x = Math.min(Math.max(x, -87f), 88f);
        float shifted = Math.fma(x, LOG2E, ROUND);
        float n = shifted - ROUND;
        float r = Math.fma(n, LN2_LO, Math.fma(n, LN2_HI, x));
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(shifted) - EXPONENT) << 23);
    }
}
