package ai.lort.format;

/** Constants of the .lort container, version 1 (docs/FORMAT.md). */
public final class LortFormat {
    private LortFormat() {}

    public static final byte[] MAGIC = {'L', 'O', 'R', 'T'};
    public static final int VERSION_MAJOR = 1;
    public static final int VERSION_MINOR = 0;
    /** Fixed-size preamble at offset 0. */
    public static final int PREAMBLE_BYTES = 64;
    /** Every section (and the index) starts at a multiple of this. */
    public static final int ALIGNMENT = 64;

    /** Scale layout of format 1: one float32 per output row. */
    public static final String SCALES_ROW_F32 = "row-f32";
    /** Input rotation of format 1: none. */
    public static final String ROTATION_NONE = "none";

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
