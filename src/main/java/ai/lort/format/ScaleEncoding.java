package ai.lort.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

/** How a layer's per-row scales are stored; {@link #id()} is the index's {@code "scales"} (docs/FORMAT.md). */
public enum ScaleEncoding {
    /** One little-endian float32 per output row (format 1.0). */
    ROW_F32("row-f32", 4, 0),
    /** One little-endian float16 per output row (format 1.1): 16 bits per row instead of 32. */
    ROW_F16("row-f16", 2, 1);

    private final String id;
    private final int bytes, sinceMinor;

    ScaleEncoding(String id, int bytes, int sinceMinor) {
        this.id = id;
        this.bytes = bytes;
        this.sinceMinor = sinceMinor;
    }

    /** The name stored in the file and taken by {@code --scales}. */
    public String id() { return id; }

    /** Bytes per scale. */
    public int bytes() { return bytes; }

    public int bits() { return 8 * bytes; }

    int sinceMinor() { return sinceMinor; }

    /**
     * The scales as stored. With {@link #ROW_F16} they must already be float16-exact: the encoding
     * stores, it does not round behind the caller's back.
     */
    public byte[] encode(float[] scales) {
        ByteBuffer bb = ByteBuffer.allocate(scales.length * bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : scales) {
            if (this == ROW_F16) bb.putShort(Float.floatToFloat16(f));
            else bb.putFloat(f);
        }
        return bb.array();
    }

    public static Optional<ScaleEncoding> byId(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equals(id)).findFirst();
    }

    public static String ids() { return String.join(", ", Arrays.stream(values()).map(ScaleEncoding::id).toList()); }

    @Override
    public String toString() { return id; }
}
