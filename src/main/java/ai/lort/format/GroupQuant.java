package ai.lort.format;

import ai.lort.pack.GroupQuantizer;
import java.util.Arrays;
import java.util.Optional;

/**
 * How a kept matrix (the embedding, the output head) is stored group-quantized; {@link #id()} is
 * its index entry's {@code "dtype"} (docs/FORMAT.md, format 1.2). See {@link GroupQuantizer}.
 */
public enum GroupQuant {
    /** 8-bit codes, a binary16 scale per 32 weights: 8.5 bits per weight. */
    Q8_G32("q8-g32", 8),
    /** 4-bit codes (nibble − 8), a binary16 scale per 32 weights: 4.5 bits per weight. */
    Q4_G32("q4-g32", 4);

    /** The format's minor version that introduced these encodings. */
    static final int SINCE_MINOR = 2;

    private final String id;
    private final int bits;

    GroupQuant(String id, int bits) {
        this.id = id;
        this.bits = bits;
    }

    /** The name stored as the tensor's {@code dtype}. */
    public String id() { return id; }

    /** Bits of one code. */
    public int bits() { return bits; }

    /** Bytes of one row's codes. */
    public int rowBytes(int cols) { return GroupQuantizer.rowBytes(cols, bits); }

    /** Bytes of an encoded rows × cols matrix: every row's codes, then every row's binary16 scales. */
    public long bytes(int rows, int cols) {
        return (long) rows * rowBytes(cols) + 2L * rows * GroupQuantizer.groups(cols);
    }

    /** Stored bits per weight of a rows × cols matrix. */
    public double bitsPerWeight(int rows, int cols) { return 8.0 * bytes(rows, cols) / ((double) rows * cols); }

    public static Optional<GroupQuant> byId(String id) {
        return Arrays.stream(values()).filter(q -> q.id.equals(id)).findFirst();
    }

    public static String ids() { return String.join(", ", Arrays.stream(values()).map(GroupQuant::id).toList()); }

    @Override
    public String toString() { return id; }
}
