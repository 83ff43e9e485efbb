package ai.lort.format;

/** Constants of the .lort container, version 1 (docs/FORMAT.md). */
public final class LortFormat {
    private LortFormat() {}

    public static final byte[] MAGIC = {'L', 'O', 'R', 'T'};
    public static final int VERSION_MAJOR = 1;
    /** 1.1 added {@code scales: "row-f16"}; files without such layers are still written as 1.0. */
    public static final int VERSION_MINOR = 1;
    /** Fixed-size preamble at offset 0. */
    public static final int PREAMBLE_BYTES = 64;
    /** Every section (and the index) starts at a multiple of this. */
    public static final int ALIGNMENT = 64;

    /** Scale layout of format 1: one float32 per output row. */
    public static final String SCALES_ROW_F32 = "row-f32";
    /** One float16 scale per output row (1.1): 16 bits per row instead of 32. */
    public static final String SCALES_ROW_F16 = "row-f16";
    /** Input rotation of format 1: none. */
    public static final String ROTATION_NONE = "none";
    /** Seeded randomized Hadamard rotation of the input (1.1), see {@link ai.lort.pack.Hadamard}. */
    public static final String ROTATION_HADAMARD = "hadamard";

    static final java.lang.foreign.ValueLayout.OfFloat FLOAT_LE =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final java.lang.foreign.ValueLayout.OfShort SHORT_LE =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Bytes per scale of a {@code scales} encoding; throws for an unknown one. */
    public static int scaleBytes(String scales) {
        return switch (scales) {
            case SCALES_ROW_F32 -> 4;
            case SCALES_ROW_F16 -> 2;
            default -> throw new IllegalArgumentException("unknown scales encoding '" + scales + "'");
        };
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
