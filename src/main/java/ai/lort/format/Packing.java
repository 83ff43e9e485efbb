package ai.lort.format;

import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import java.util.Arrays;
import java.util.Optional;

/** How a layer's ternary codes are laid out; {@link #id()} is the index's {@code "packing"} (docs/FORMAT.md). */
public enum Packing {
    /** Two bits per weight in groups of 64 (format 1.0), see {@link TernaryPacker}. */
    T2_G64("t2-g64", 0),
    /** Five weights per byte, base 3 (format 1.1), see {@link TritPacker}. */
    T3_B5("t3-b5", 1);

    private final String id;
    private final int sinceMinor;

    Packing(String id, int sinceMinor) {
        this.id = id;
        this.sinceMinor = sinceMinor;
    }

    /** The name stored in the file and taken by {@code --packing}. */
    public String id() { return id; }

    /** The format's minor version that introduced it (a file holding it is at least 1.that). */
    int sinceMinor() { return sinceMinor; }

    /** Bytes of one packed row of {@code cols} weights. */
    public int rowBytes(int cols) {
        return this == T3_B5 ? TritPacker.rowBytes(cols) : TernaryPacker.rowBytes(cols);
    }

    /** Packs row-major ternary values (each −1, 0 or +1). */
    public byte[] pack(byte[] t, int rows, int cols) {
        return this == T3_B5 ? TritPacker.pack(t, rows, cols) : TernaryPacker.pack(t, rows, cols);
    }

    /** What makes {@code codes} (rows × {@link #rowBytes} bytes) invalid in this layout, or null when they are valid. */
    public String invalidCode(java.lang.foreign.MemorySegment codes, int rows, int cols) {
        return this == T3_B5 ? TritPacker.invalidCode(codes, rows, cols) : TernaryPacker.invalidCode(codes, rows, cols);
    }

    public static Optional<Packing> byId(String id) {
        return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst();
    }

    /** Every id, for messages. */
    public static String ids() { return String.join(", ", Arrays.stream(values()).map(Packing::id).toList()); }

    @Override
    public String toString() { return id; }
}
