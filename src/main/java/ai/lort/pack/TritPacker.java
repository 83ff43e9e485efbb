package ai.lort.pack;

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

    /** The code (t + 1, 0..2) of digit {@code k} (0..4) of a packed byte, that is of weight {@code 5g + k} of byte g. */
    public static int code(int packedByte, int k) {
        int b = packedByte & 0xFF;
        if (b > 242) throw new IllegalArgumentException("invalid base-3 byte " + b);
        return DIGITS[5 * b + k];
    }
}
