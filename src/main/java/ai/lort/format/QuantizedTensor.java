package ai.lort.format;

import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.pack.GroupQuantizer;
import ai.lort.util.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kept matrix stored group-quantized ({@link GroupQuant}), viewed in place: the embedding table
 * and the output head. {@code data} holds every row's codes ({@code rows · encoding.rowBytes(cols)}
 * bytes), then every row's binary16 scales ({@code rows · groups} of them, row-major), as
 * docs/FORMAT.md gives them.
 *
 * @param sourceDtype the dtype the source stored it in (what an export restores), or null when unknown
 */
public record QuantizedTensor(String name, GroupQuant encoding, int rows, int cols, DType sourceDtype, MemorySegment data) {
    public QuantizedTensor {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException(name + ": shape " + rows + " x " + cols);
        if (data.byteSize() != encoding.bytes(rows, cols))
            throw new IllegalArgumentException(name + ": " + encoding + " " + rows + " x " + cols + " needs " + encoding.bytes(rows, cols) + " bytes, got " + data.byteSize());
    }

    /** Scale groups per row. */
    public int groups() { return GroupQuantizer.groups(cols); }

    public int rowBytes() { return encoding.rowBytes(cols); }

    /** The codes of every row, row-major. */
    public MemorySegment codes() { return data.asSlice(0, (long) rows * rowBytes()); }

    /** The binary16 scales, {@code groups()} per row, row-major. */
    public MemorySegment scales() { return data.asSlice((long) rows * rowBytes(), 2L * rows * groups()); }

    public long elementCount() { return (long) rows * cols; }

    public long byteSize() { return data.byteSize(); }

    /** The scale of group {@code g} of row {@code row}. */
    public float scale(int row, int g) {
        return Float.float16ToFloat(data.get(LortFormat.SHORT_LE, (long) rows * rowBytes() + 2L * ((long) row * groups() + g)));
    }

    /** The integer code of weight (row, j). */
    public int code(int row, int j) {
        long at = (long) row * rowBytes();
        if (encoding.bits() == 8) return data.get(ValueLayout.JAVA_BYTE, at + j);
        int g = j / GroupQuantizer.GROUP, k = j % GroupQuantizer.GROUP, half = GroupQuantizer.GROUP / 2;
        int b = data.get(ValueLayout.JAVA_BYTE, at + (long) g * half + k % half) & 0xFF;
        return (k < half ? b & 15 : b >>> 4) - 8;
    }

    /** Row {@code row} dequantized into {@code out[0, cols)} (an embedding lookup). */
    public void dequantizeRow(int row, float[] out) {
        for (int j = 0; j < cols; j++) out[j] = scale(row, j / GroupQuantizer.GROUP) * code(row, j);
    }

    /** The whole matrix dequantized, row-major (tests, export). */
    public float[] dequantize() {
        float[] out = new float[Math.toIntExact(elementCount())], row = new float[cols];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(r, row);
            System.arraycopy(row, 0, out, r * cols, cols);
        }
        return out;
    }

    /**
     * {@code t} (a 2-D F32, F16 or BF16 tensor) quantized on the heap, its rows split over up to
     * {@code threads} threads (the same bytes for any count).
     */
    public static QuantizedTensor quantize(Tensor t, GroupQuant encoding, int threads) {
        if (t.rank() != 2 || !t.dtype().isCompressible()) throw new IllegalArgumentException(t + " is not a float matrix");
        int rows = t.rows(), cols = t.cols(), rowBytes = encoding.rowBytes(cols), groups = GroupQuantizer.groups(cols);
        byte[] out = new byte[Math.toIntExact(encoding.bytes(rows, cols))];
        long scalesAt = (long) rows * rowBytes;
        Parallel.forRanges(rows, 256, threads, (from, to) -> {
            float[] w = new float[cols];
            short[] s = new short[groups];
            byte[] codes = new byte[rowBytes];
            for (int r = from; r < to; r++) {
                t.readFloats((long) r * cols, w);
                GroupQuantizer.quantizeRow(w, 0, cols, encoding.bits(), codes, 0, s, 0);
                System.arraycopy(codes, 0, out, r * rowBytes, rowBytes);
                for (int g = 0; g < groups; g++) {
                    int at = (int) (scalesAt + 2L * ((long) r * groups + g));
                    out[at] = (byte) s[g];
                    out[at + 1] = (byte) (s[g] >> 8);
                }
            }
        });
        return new QuantizedTensor(t.name(), encoding, rows, cols, t.dtype(), MemorySegment.ofArray(out));
    }

    @Override
    public String toString() { return name + " " + encoding + "[" + rows + ", " + cols + "]"; }
}
