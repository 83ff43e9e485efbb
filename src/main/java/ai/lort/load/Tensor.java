package ai.lort.load;

import ai.lort.util.Half;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named tensor viewed in place in a memory-mapped file. Nothing is copied until a caller asks
 * for floats.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int rank() { return shape.length; }

    public int rows() { return (int) shape[0]; }

    public int cols() { return (int) shape[shape.length - 1]; }

    public long byteSize() { return data.byteSize(); }

    /** Element {@code i} as a float; only for F32, F16 and BF16. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(FLOAT_LE, i);
            case F16 -> Half.f16ToFloat(data.getAtIndex(SHORT_LE, i));
            case BF16 -> Half.bf16ToFloat(data.getAtIndex(SHORT_LE, i));
            default -> throw new IllegalStateException(name + ": dtype " + dtype + " is not a float type");
        };
    }

    /** Copies elements {@code [from, from + dst.length)} into {@code dst} as floats. */
    public void readFloats(long from, float[] dst) {
        int n = dst.length;
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, FLOAT_LE, from * 4, dst, 0, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[i] = Half.f16ToFloat(data.getAtIndex(SHORT_LE, from + i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[i] = Half.bf16ToFloat(data.getAtIndex(SHORT_LE, from + i)); }
            default -> throw new IllegalStateException(name + ": dtype " + dtype + " is not a float type");
        }
    }

    /**
     * A heap tensor holding {@code values} in {@code dtype} (F32, F16 or BF16, rounded to nearest
     * even): what healing writes for the vectors it trained, in the dtype they came in.
     */
    public static Tensor of(String name, DType dtype, long[] shape, float[] values) {
        MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, dtype.size())]);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> data.setAtIndex(FLOAT_LE, i, values[i]);
                case F16 -> data.setAtIndex(SHORT_LE, i, Half.floatToF16(values[i]));
                case BF16 -> data.setAtIndex(SHORT_LE, i, Half.floatToBf16(values[i]));
                default -> throw new IllegalArgumentException(name + ": dtype " + dtype + " is not a float type");
            }
        }
        return new Tensor(name, dtype, shape, data);
    }

    /** The whole tensor as floats (for matrices that are being compressed, one at a time). */
    public float[] toFloats() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(name + " has too many elements for one array: " + n);
        float[] out = new float[(int) n];
        readFloats(0, out);
        return out;
    }

    @Override
    public String toString() { return name + " " + dtype + Arrays.toString(shape); }
}
