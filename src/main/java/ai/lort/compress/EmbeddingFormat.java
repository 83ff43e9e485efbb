package ai.lort.compress;

import ai.lort.format.GroupQuant;
import ai.lort.format.QuantizedTensor;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.util.Half;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

/**
 * How {@code lort compress} stores the kept matrices that are not compressed to ternary: the
 * embedding table and the output head ({@code --embeddings}). Never wider than the source's dtype.
 */
public enum EmbeddingFormat {
    /** Group-quantized to 4 bits ({@code q4-g32}, 4.5 bits per weight). */
    Q4("q4", GroupQuant.Q4_G32),
    /** Group-quantized to 8 bits ({@code q8-g32}, 8.5 bits per weight). */
    Q8("q8", GroupQuant.Q8_G32),
    /** 16 bits: F32 tables become BF16, F16 and BF16 ones stay as they are. */
    BF16("bf16", null),
    /** The source's bytes, unchanged (what format 1.1 and earlier always did). */
    SOURCE("source", null);

    /** The names of the tensors this applies to (the Llama family's embedding and untied head). */
    public static final java.util.Set<String> NAMES = java.util.Set.of("model.embed_tokens.weight", "lm_head.weight");

    private final String id;
    private final GroupQuant quant;

    EmbeddingFormat(String id, GroupQuant quant) {
        this.id = id;
        this.quant = quant;
    }

    public String id() { return id; }

    /** The group quantization it stores, or null for a float dtype. */
    public GroupQuant quant() { return quant; }

    /** Whether {@code t} is a kept matrix this option stores (a float embedding or head). */
    public static boolean appliesTo(Tensor t) {
        return NAMES.contains(t.name()) && t.rank() == 2 && t.dtype().isCompressible();
    }

    /** A kept matrix as the file will hold it: exactly one of the two is non-null. */
    public record Stored(Tensor plain, QuantizedTensor quantized) {
        /** The stored values as floats (what healing trains against). */
        public float[] floats() { return quantized != null ? quantized.dequantize() : plain.toFloats(); }

        public long byteSize() { return quantized != null ? quantized.byteSize() : plain.byteSize(); }
    }

    /** {@code t} in this format: group-quantized, BF16, or the source's own tensor. */
    public Stored store(Tensor t, int threads) {
        if (quant != null) return new Stored(null, QuantizedTensor.quantize(t, quant, threads));
        if (this == SOURCE || t.dtype() != DType.F32) return new Stored(t, null);
        var le = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(2 * t.elementCount())]);
        float[] row = new float[t.cols()];
        for (long r = 0, rows = t.elementCount() / t.cols(); r < rows; r++) {
            t.readFloats(r * t.cols(), row);
            for (int j = 0; j < row.length; j++) out.setAtIndex(le, r * row.length + j, Half.floatToBf16(row[j]));
        }
        return new Stored(new Tensor(t.name(), DType.BF16, t.shape(), out), null);
    }

    public static Optional<EmbeddingFormat> byId(String id) {
        return Arrays.stream(values()).filter(f -> f.id.equals(id)).findFirst();
    }

    public static String ids() { return String.join(", ", Arrays.stream(values()).map(EmbeddingFormat::id).toList()); }
}
