package ai.lort.load;

/** Element types of safetensors tensors (the names are the format's own). */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2),
    I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
    F8_E4M3(1), F8_E5M2(1);

    private final int size;

    DType(int size) { this.size = size; }

    /** Bytes per element. */
    public int size() { return size; }

    /** True for the types the compressor can read as floats (F32, F16, BF16). */
    public boolean isCompressible() { return this == F32 || this == F16 || this == BF16; }

    /** Parses a safetensors dtype name, spelled exactly as the format does (upper case); null when unknown. */
    public static DType parse(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /** Every name, for messages. */
    public static String names() {
        return String.join(", ", java.util.Arrays.stream(values()).map(Enum::name).toList());
    }
}
