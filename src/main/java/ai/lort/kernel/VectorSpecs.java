package ai.lort.kernel;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.LSHL;

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
     * {@link Float#float16ToFloat} (NaN payloads aside). The Vector API of JDK 25 has no half-float conversion, so:
     * shifting the 15 exponent+mantissa bits left by 13 lines them up with a float's, and one
     * multiply by 2^112 rebiases the exponent (15 to 127). That multiply is exact for normal and
     * subnormal halves alike and keeps the sign, so only Inf/NaN (exponent 31) need a fix-up,
     * taken on a rarely-used branch.
     */
    static FloatVector halfToFloat(ShortVector h) {
        // Sign-extension fills bits 16..31 with the sign; after << 13 bits 28..30 hold copies of it.
        IntVector bits = ((IntVector) h.castShape(I, 0)).lanewise(LSHL, 13).and(0x8FFF_E000);
        FloatVector f = bits.reinterpretAsFloats().mul(0x1p112f);
        var special = f.abs().compare(GE, 0x1p16f); // half exponent 31
        if (special.anyTrue()) f = f.blend(bits.or(0x7F80_0000).reinterpretAsFloats(), special);
        return f;
    }
}
