package ai.lort.util;

/** IEEE-754 half precision and bfloat16 conversions (round to nearest even). */
public final class Half {
    private Half() {}

    public static float f16ToFloat(short h) { return Float.float16ToFloat(h); }

    public static short floatToF16(float f) { return Float.floatToFloat16(f); }

    public static float bf16ToFloat(short b) { return Float.intBitsToFloat((b & 0xFFFF) << 16); }

    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** {@code x} rounded to the nearest half-precision value, as float (what an F16 field will hold). */
    public static float roundToHalf(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /** Every element rounded to half precision, in a new array. */
    public static float[] roundToHalf(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = roundToHalf(x[i]);
        return out;
    }
}
