package ai.lort.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Packs ternary weights {-1, 0, +1} two bits each, in the layout {@code t2-g64} of docs/FORMAT.md.
 *
 * <p>A row of {@code cols} weights is cut into groups of 64 (the last one padded with zeros), and
 * each group is 16 bytes. Weight {@code 64g + 16k + i} ({@code 0 <= k < 4}, {@code 0 <= i < 16})
 * sits in byte {@code 16g + i} of the row, bits {@code 2k} and {@code 2k+1} (bit 0 is the least
 * significant), as the code {@code t + 1}: 0 means -1, 1 means 0, 2 means +1; 3 is invalid.
 *
 * <p>Why this order: one 16-byte load shifted right by {@code 2k} and masked with 3 yields the 16
 * codes of 16 consecutive weights, so a SIMD kernel decodes with shifts only. Why {@code t + 1}: then
 * {@code Σ t·x = Σ code·x − Σ x}, where {@code Σ x} is computed once per input vector, so the inner
 * loop is one multiply-add per weight.
 */
public final class TernaryPacker {
    public static final int GROUP = 64;
    public static final int GROUP_BYTES = 16;

    private TernaryPacker() {}

    /** Bytes of one packed row of {@code cols} weights. */
    public static int rowBytes(int cols) {
        return (cols + GROUP - 1) / GROUP * GROUP_BYTES;
    }

    /** Packs row-major ternary values {@code t[rows*cols]} (each -1, 0 or +1). */
    public static byte[] pack(byte[] t, int rows, int cols) {
        int rb = rowBytes(cols);
        byte[] out = new byte[Math.multiplyExact(rows, rb)];
        // Padding weights are zeros, i.e. code 1 in every 2-bit slot: 0b01010101.
        java.util.Arrays.fill(out, (byte) 0x55);
        for (int r = 0; r < rows; r++) {
            int base = r * rb;
            for (int c = 0; c < cols; c++) {
                int v = t[r * cols + c];
                if (v < -1 || v > 1) throw new IllegalArgumentException("not ternary: " + v + " at row " + r + " col " + c);
                int idx = base + byteIndex(c);
                int shift = shift(c);
                out[idx] = (byte) ((out[idx] & ~(3 << shift)) | ((v + 1) << shift));
            }
        }
        return out;
    }

    /** Byte of the row holding weight {@code c}. */
    public static int byteIndex(int c) {
        return (c / GROUP) * GROUP_BYTES + (c % GROUP_BYTES);
    }

    /** Bit position of weight {@code c}'s code inside its byte. */
    public static int shift(int c) {
        return 2 * ((c % GROUP) / GROUP_BYTES);
    }

    /** The ternary value of weight {@code c} of a row starting at {@code rowOffset} in {@code packed}. */
    public static int get(byte[] packed, int rowOffset, int c) {
        int code = (packed[rowOffset + byteIndex(c)] >> shift(c)) & 3;
        if (code == 3) throw new IllegalArgumentException("invalid ternary code 3 at column " + c);
        return code - 1;
    }

    /**
     * Where packed rows are not valid {@code t2-g64}: a code 3, or a padding weight (past
     * {@code cols} in a row's last group) that is not code 1; null when every row is valid.
     */
    public static String invalidCode(MemorySegment codes, int rows, int cols) {
        long rb = rowBytes(cols), total = rows * rb;
        // A code 3 is a bit pair with both bits set: the even bits of x & (x >>> 1).
        long at = 0;
        for (; at + 8 <= total; at += 8) {
            long x = codes.get(LONG_LE, at);
            if ((x & (x >>> 1) & 0x5555_5555_5555_5555L) != 0) break;
        }
        for (; at < total; at++) {
            int b = codes.get(ValueLayout.JAVA_BYTE, at);
            if ((b & (b >>> 1) & 0x55) != 0) return "code 3 (not ternary) in row " + at / rb;
        }
        if (cols % GROUP != 0) {
            for (int r = 0; r < rows; r++)
                for (int c = cols; c < (int) (rb / GROUP_BYTES) * GROUP; c++) {
                    int code = codes.get(ValueLayout.JAVA_BYTE, r * rb + byteIndex(c)) >> shift(c) & 3;
                    if (code != 1) return "padding weight " + c + " of row " + r + " has code " + code + ", not 1 (zero)";
                }
        }
        return null;
    }

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Unpacks to row-major {-1, 0, +1} values. */
    public static byte[] unpack(byte[] packed, int rows, int cols) {
        int rb = rowBytes(cols);
        byte[] t = new byte[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[r * cols + c] = (byte) get(packed, r * rb, c);
        return t;
    }
}
