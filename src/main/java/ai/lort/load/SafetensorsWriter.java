package ai.lort.load;

import ai.lort.LortException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file whose tensors are declared up front and then streamed in order, so a
 * large file never sits in memory (a tensor may come in parts). Used by {@code lort export}, for synthetic
 * benchmark models and for test fixtures.
 */
public final class SafetensorsWriter implements AutoCloseable {
    /** A tensor to be written: name, dtype and shape. */
    public record Spec(String name, DType dtype, long... shape) {
        long bytes() {
            long n = dtype.size();
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final OutputStream out;
    private final List<Spec> specs;
    private int next;
    /** Bytes of tensor {@code next} written so far by {@link #writePart}. */
    private long partial;

    public SafetensorsWriter(Path path, List<Spec> specs, Map<String, String> metadata) throws IOException {
        this.specs = specs;
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", metadata);
        long offset = 0;
        for (Spec s : specs) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", s.dtype().name());
            e.put("shape", s.shape());
            e.put("data_offsets", new long[] {offset, offset + s.bytes()});
            header.put(s.name(), e);
            offset += s.bytes();
        }
        byte[] json = new ObjectMapper().writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the reference writer pads the header with spaces to 8 bytes
        byte[] hb = new byte[padded];
        java.util.Arrays.fill(hb, (byte) ' ');
        System.arraycopy(json, 0, hb, 0, json.length);
        out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(hb);
    }

    /** Writes the next declared tensor's raw little-endian bytes. */
    public void write(byte[] data) throws IOException {
        if (partial != 0) throw new IllegalStateException(specs.get(next).name() + " is being written in parts");
        Spec s = specs.get(next++);
        if (data.length != s.bytes()) throw new IllegalArgumentException(s.name() + ": " + data.length + " bytes, expected " + s.bytes());
        out.write(data);
    }

    /**
     * Writes the next part of the current tensor's bytes (a tensor larger than the heap goes in
     * parts); the tensor is done when its declared size is reached.
     */
    public void writePart(byte[] data, int length) throws IOException {
        Spec s = specs.get(next);
        if (partial + length > s.bytes()) throw new IllegalArgumentException(s.name() + ": " + (partial + length) + " bytes, expected " + s.bytes());
        out.write(data, 0, length);
        partial += length;
        if (partial == s.bytes()) {
            partial = 0;
            next++;
        }
    }

    /** Writes the next tensor from floats, converting to its dtype. */
    public void writeFloats(float[] values) throws IOException {
        Spec s = specs.get(next);
        write(encode(values, s.dtype()));
    }

    public static byte[] encode(float[] values, DType dtype) {
        ByteBuffer bb = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> bb.putFloat(v);
                case F16 -> bb.putShort(Float.floatToFloat16(v));
                case BF16 -> bb.putShort(ai.lort.util.Half.floatToBf16(v));
                default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
            }
        }
        return bb.array();
    }

    @Override
    public void close() throws IOException {
        out.close();
        if (next != specs.size() || partial != 0) throw new LortException("safetensors writer closed after " + next + " of " + specs.size() + " tensors");
    }

    /** Header bytes as text, for tests that want to tamper with it. */
    static String asText(byte[] b) { return new String(b, StandardCharsets.UTF_8); }
}
