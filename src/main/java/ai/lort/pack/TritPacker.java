package ai.lort.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Packs ternary weights five to a byte, base 3 (layout {@code t3-b5} of docs/FORMAT.md): 1.6 bits
 * per weight instead of 2. Weight {@code 5g + k} of a row ({@code 0 <= k < 5}) is digit k of byte g:
 * {@code byte = Σ_k code_k · 3^k} with {@code code = t + 1} (0 means -1, 1 means 0, 2 means +1),
 * so a byte is 0..242; the last byte of a row is padded with zero weights (code 1). Rows start on
 * a byte: {@code rowBytes = ceil(cols / 5)}.
 */
public final class TritPacker {
    private TritPacker() {}

    /** Codes of the five weights of every byte value 0..242, {@code DIGITS[5·b + k]}. */
    private static final byte[] DIGITS = new byte[243 * 5];

    static {
        for (int b = 0; b < 243; b++)
            for (int k = 0, v = b; k < 5; k++, v /= 3) DIGITS[5 * b + k] = (byte) (v % 3);
    }

    public static int rowBytes(int cols) { return (cols + 4) / 5; }

    public static byte[] pack(byte[] t, int rows, int cols) {
        int rb = rowBytes(cols);
        byte[] out = new byte[Math.multiplyExact(rows, rb)];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < rb; g++) {
                int v = 0;
                for (int k = 4; k >= 0; k--) {
                    int c = 5 * g + k;
                    int code = 1;
                    if (c < cols) {
                        int x = t[r * cols + c];
                        if (x < -1 || x > 1) throw new IllegalArgumentException("not ternary: " + x + " at row " + r + " col " + c);
                        code = x + 1;
                    }
                    v = 3 * v + code;
                }
                out[r * rb + g] = (byte) v;
            }
        return out;
    }

    /**
     * Where packed rows are not valid {@code t3-b5}: a byte above 242, or a padding digit (past
     * {@code cols} in a row's last byte) that is not code 1; null when every row is valid.
     */
    public static String invalidCode(MemorySegment codes, int rows, int cols) {
        long rb = rowBytes(cols), total = rows * rb;
        // A byte b >= 243 has its top bit set and (b & 0x7F) + 13 >= 128; no carry crosses bytes.
        long at = 0;
        for (; at + 8 <= total; at += 8) {
            long x = codes.get(LONG_LE, at);
            if ((x & ((x & 0x7F7F_7F7F_7F7F_7F7FL) + 0x0D0D_0D0D_0D0D_0D0DL) & 0x8080_8080_8080_8080L) != 0) break;
        }
        for (; at < total; at++) {
            int b = codes.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
            if (b > 242) return "byte " + b + " (above 242, not five base-3 digits) in row " + at / rb;
        }
        int used = cols % 5;
        if (used != 0) {
            for (int r = 0; r < rows; r++) {
                int b = codes.get(ValueLayout.JAVA_BYTE, r * rb + rb - 1) & 0xFF;
                for (int k = used; k < 5; k++)
                    if (DIGITS[5 * b + k] != 1) return "padding digit " + k + " of row " + r + "'s last byte is code " + DIGITS[5 * b + k] + ", not 1 (zero)";
            }
        }
        return null;
    }

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The code (t + 1, 0..2) of digit {@code k} (0..4) of a packed byte, that is of weight {@code 5g + k} of byte g. */
    public static int code(int packedByte, int k) {
        int b = packedByte & 0xFF;
        if (b > 242) throw new IllegalArgumentException("invalid base-3 byte " + b);
        return DIGITS[5 * b + k];
    }
}
