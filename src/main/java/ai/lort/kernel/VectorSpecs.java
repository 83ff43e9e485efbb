package ai.lort.kernel;

import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Vector species shared by the kernels: one float lane per weight, whatever the weight's width. */
final class VectorSpecs {
    private VectorSpecs() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** As many 16-bit lanes as {@link #F} has floats: half its width. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * IEEE binary16 bits (as the sign-extended shorts of {@code h}) to floats, exactly as
     * {@link Float#float16ToFloat} (NaN payloads aside). The Vector API of JDK 25 has no half-float
     * conversion, so: normal halves move their exponent and mantissa into place with a shift and
     * rebias the exponent (15 to 127) with an integer add; subnormal halves are their mantissa
     * times 2^-24, converted and scaled exactly; Inf/NaN get the all-ones exponent. All integer
     * but one multiply whose operands are normal: a float op on a subnormal operand costs a
     * microcode assist on x86 (bench/README.md has the cost).
     *
     * <p>The kernels repeat these lines inline rather than call this method: a vector-returning
     * call that C2 declines to inline (it does, at call sites it thinks cold, for methods over 35
     * bytecodes) boxes its result every time, which costs more than the whole decode. This is the
     * tested reference for those copies.
     */
    static FloatVector halfToFloat(ShortVector s) {
        IntVector h = (IntVector) s.castShape(I, 0);
        IntVector em = h.and(0x7FFF);
        IntVector normal = em.lanewise(LSHL, 13).add(112 << 23);
        IntVector sub = ((FloatVector) em.convert(I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
        IntVector bits = normal.blend(sub, em.compare(LT, 0x400)).blend(normal.add(112 << 23), em.compare(GE, 0x7C00));
        return bits.or(h.and(0x8000_0000)).reinterpretAsFloats();
    }
}
