package ai.lort.format;

/** Constants of the .lort container, version 1 (docs/FORMAT.md). */
public final class LortFormat {
    private LortFormat() {}

    public static final byte[] MAGIC = {'L', 'O', 'R', 'T'};
    public static final int VERSION_MAJOR = 1;
    /**
     * The newest minor version this code reads and writes: 1.1 added {@code t3-b5} packing,
     * {@code row-f16} scales and the Hadamard rotation; 1.2 the group-quantized kept matrices
     * ({@code q8-g32}, {@code q4-g32}). A file is written at the lowest minor version that holds
     * everything in it.
     */
    public static final int VERSION_MINOR = 2;
    /** Fixed-size preamble at offset 0. */
    public static final int PREAMBLE_BYTES = 64;
    /** Readers refuse a larger index: it would not fit a Java array, and no writer comes near it. */
    public static final long MAX_INDEX_BYTES = 256L << 20;
    /** Every section (and the index) starts at a multiple of this. */
    public static final int ALIGNMENT = 64;

    static final java.lang.foreign.ValueLayout.OfFloat FLOAT_LE =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final java.lang.foreign.ValueLayout.OfShort SHORT_LE =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);


    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Embedded files from this size on are stored zlib-compressed when that saves a tenth (format 1.2). */
    public static final int DEFLATE_FROM = 4096;
}
