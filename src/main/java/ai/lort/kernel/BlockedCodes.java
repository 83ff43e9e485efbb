package ai.lort.kernel;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The ternary codes of a layer re-laid out at load for the CPU kernel: rows in blocks of
 * {@link #BLOCK}, so that one vector lane is one row and no per-row lane reduction is needed.
 * Block {@code b}, chunk {@code q} is {@link #CHUNK_BYTES} bytes at {@code (b · chunks + q) · 64}:
 * 16 little-endian ints, int {@code i} holding the codes ({@code t + 1}) of row {@code 16b + i},
 * columns {@code 16q .. 16q + 15}, column {@code 16q + c} at bits {@code 2c, 2c + 1}. So the nibble
 * {@code j} of an int is the code pair of columns {@code 16q + 2j} and {@code 16q + 2j + 1}.
 * Padding rows and columns hold code 1 (weight 0).
 *
 * <p>Two bits per weight, as {@code t2-g64} (whose group order puts one row's codes across 16
 * bytes, the wrong way round for lanes = rows); {@code t3-b5} grows from 1.6 to 2 bits here. The
 * mapped file's codes are read once to build this, then only by the scalar reference.
 *
 * <p>{@link #triples}: the same blocks with three columns to five bits, the layout of the AVX-512
 * table kernel. Chunk {@code q} covers columns {@code 18q .. 18q + 17}; in row i's int, bits
 * {@code 5j .. 5j + 4} hold {@code c0 + 3·c1 + 9·c2} for the codes of columns
 * {@code 18q + 3j + 0, 1, 2} (six triples, 30 bits; the top two bits are 0). 1.78 bits per weight.
 */
final class BlockedCodes {
    static final int BLOCK = 16, CHUNK = 16, CHUNK_BYTES = 4 * BLOCK;
    /** Sixteen zero weights (code 1) in one int. */
    private static final int ZEROS = 0x5555_5555;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code t3-b5}: the five codes of each byte value 0..242 as ten bits, code k at bits 2k, 2k + 1. */
    private static final short[] TRIT_BITS = new short[243];

    static {
        for (int b = 0; b < TRIT_BITS.length; b++)
            for (int k = 0; k < 5; k++) TRIT_BITS[b] |= (short) (TritPacker.code(b, k) << 2 * k);
    }

    private BlockedCodes() {}

    static int blocks(int rows) { return (rows + BLOCK - 1) / BLOCK; }

    static int chunks(int cols) { return (cols + CHUNK - 1) / CHUNK; }

    /** Columns per int in the {@link #triples} layout: six triples. */
    static final int TRIPLE_CHUNK = 18;

    static int tripleChunks(int cols) { return (cols + TRIPLE_CHUNK - 1) / TRIPLE_CHUNK; }

    /** The codes of {@code l} in this layout, in a 64-byte aligned segment freed with the matrix. */
    static MemorySegment of(CompressedLayer l) {
        return build(l, chunks(l.cols()), (row, q, cols) -> row[q]);
    }

    /** The codes of {@code l} with three columns to five bits (class comment), 64-byte aligned, freed with the matrix. */
    static MemorySegment triples(CompressedLayer l) {
        return build(l, tripleChunks(l.cols()), BlockedCodes::tripleChunk);
    }

    /** Chunk {@code q}'s int of one row of a layout, from the row in the two-bit layout. */
    private interface ChunkEncoder {
        int encode(int[] row, int q, int cols);
    }

    /**
     * A blocked layout of {@code l}'s codes with {@code chunks} ints a row: each row is read into
     * the two-bit layout (padding rows all code 1), then encoded chunk by chunk.
     */
    private static MemorySegment build(CompressedLayer l, int chunks, ChunkEncoder encoder) {
        int rows = l.rows(), cols = l.cols(), blocks = blocks(rows);
        MemorySegment out = Arena.ofAuto().allocate((long) blocks * chunks * CHUNK_BYTES, 64);
        int[] row = new int[chunks(cols)];
        boolean base3 = l.packing() == Packing.T3_B5;
        long rowBytes = l.packing().rowBytes(cols);
        for (int r = 0; r < blocks * BLOCK; r++) {
            if (r >= rows) java.util.Arrays.fill(row, ZEROS);
            else if (base3) tritRow(l.codes(), r * rowBytes, cols, row);
            else groupRow(l.codes(), r * rowBytes, row);
            long base = (long) (r / BLOCK) * chunks * CHUNK_BYTES + 4L * (r % BLOCK);
            for (int q = 0; q < chunks; q++) out.set(INT_LE, base + (long) q * CHUNK_BYTES, encoder.encode(row, q, cols));
        }
        return out;
    }

    /** Six fields {@code c0 + 3·c1 + 9·c2} of columns {@code 18q ..} from a row in the two-bit layout. */
    private static int tripleChunk(int[] row, int q, int cols) {
        int packed = 0;
        for (int j = 0; j < TRIPLE_CHUNK / 3; j++) {
            int c = q * TRIPLE_CHUNK + 3 * j;
            packed |= (code(row, c, cols) + 3 * code(row, c + 1, cols) + 9 * code(row, c + 2, cols)) << 5 * j;
        }
        return packed;
    }

    /** The code of column c in a row of the two-bit layout; 1 (weight 0) past the row. */
    private static int code(int[] row, int c, int cols) {
        return c >= cols ? 1 : row[c / CHUNK] >>> 2 * (c % CHUNK) & 3;
    }

    /**
     * One {@code t2-g64} row: chunk {@code q} is slot {@code q % 4} of group {@code q / 4}, the
     * bits {@code 2k, 2k + 1} of its 16 bytes, gathered with two bit extracts.
     */
    private static void groupRow(MemorySegment codes, long off, int[] row) {
        for (int q = 0; q < row.length; q++) {
            long g = off + (long) (q / 4) * TernaryPacker.GROUP_BYTES;
            long slot = 0x0303_0303_0303_0303L << 2 * (q % 4);
            long lo = Long.compress(codes.get(LONG_LE, g), slot), hi = Long.compress(codes.get(LONG_LE, g + 8), slot);
            row[q] = (int) (lo | hi << 16);
        }
    }

    /** One {@code t3-b5} row: ten bits per byte appended to a bit stream; columns past the row are zeros. */
    private static void tritRow(MemorySegment codes, long off, int cols, int[] row) {
        long bits = 0;
        int have = 0, q = 0;
        for (int g = 0; g < (cols + 4) / 5; g++) {
            bits |= (long) TRIT_BITS[codes.get(ValueLayout.JAVA_BYTE, off + g) & 0xFF] << have;
            have += 10;
            if (have >= 32) {
                row[q++] = (int) bits;
                bits >>>= 32;
                have -= 32;
            }
        }
        // The last byte's padding digits are code 1 already; zeros fill the rest of the row.
        if (q < row.length) row[q++] = (int) (bits | (long) ZEROS << have);
        while (q < row.length) row[q++] = ZEROS;
    }
}
