package ai.lort.load;

import ai.lort.LortException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header of
 * {@code name -> {dtype, shape, data_offsets}}, then the data. The header is validated the way
 * the reference reader does before any tensor is handed out: its length lies within the file, it
 * is a JSON object, every dtype is known, every byte range lies inside the data section, ranges do
 * not overlap, and each range's length equals shape × dtype size. Files over 2 GiB are fine.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation refuses headers over 100 MB. */
    static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file, long dataStart,
                            Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        return MappedFile.open(path, f -> parse(path, f.arena(), f.segment(), f.size()));
    }

    private static SafetensorsFile parse(Path path, Arena arena, MemorySegment seg, long size) {
        String where = path.getFileName().toString();
        if (size < 8) throw corrupt(where, "file is " + size + " bytes, shorter than the 8-byte header length");
        long headerLen = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER) throw corrupt(where, "header length " + headerLen + " is not plausible (truncated or not a safetensors file)");
        if (8 + headerLen > size) throw corrupt(where, "header length " + headerLen + " runs past the end of the " + size + "-byte file (truncated?)");
        byte[] hb = seg.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(new String(hb, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw corrupt(where, "header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw corrupt(where, "header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Object[]> ranges = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw corrupt(where, "__metadata__ is not an object");
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (!v.isObject()) throw corrupt(where, "entry '" + name + "' is not an object");
            DType dtype = DType.parse(v.path("dtype").asText(""));
            if (dtype == null) throw corrupt(where, "tensor '" + name + "' has unknown dtype '" + v.path("dtype").asText() + "'");
            JsonNode shapeNode = v.path("shape");
            JsonNode offs = v.path("data_offsets");
            if (!shapeNode.isArray()) throw corrupt(where, "tensor '" + name + "' has no shape array");
            if (!offs.isArray() || offs.size() != 2 || !offs.get(0).canConvertToLong() || !offs.get(1).canConvertToLong())
                throw corrupt(where, "tensor '" + name + "' needs data_offsets [begin, end]");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || d.asLong() < 0) throw corrupt(where, "tensor '" + name + "' has a bad dimension " + d);
                shape[i] = d.asLong();
                count = Math.multiplyExact(count, shape[i]);
            }
            long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
            if (begin < 0 || end < begin) throw corrupt(where, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] out of order");
            if (end > dataSize) throw corrupt(where, "tensor '" + name + "' ends at byte " + end + " but the data section holds " + dataSize + " bytes (truncated file or lying header)");
            long expected = Math.multiplyExact(count, dtype.size());
            if (end - begin != expected) throw corrupt(where, "tensor '" + name + "' holds " + (end - begin) + " bytes but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected);
            ranges.add(new Object[] {name, begin, end});
            tensors.put(name, new Tensor(name, dtype, shape, seg.asSlice(dataStart + begin, end - begin)));
        }
        ranges.sort(Comparator.comparingLong(r -> (Long) r[1]));
        for (int i = 1; i < ranges.size(); i++) {
            Object[] a = ranges.get(i - 1), b = ranges.get(i);
            if ((Long) b[1] < (Long) a[2] && (Long) b[2] > (Long) b[1] && (Long) a[2] > (Long) a[1])
                throw corrupt(where, "tensors '" + a[0] + "' and '" + b[0] + "' overlap in the data section");
        }
        return new SafetensorsFile(path, arena, seg, dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static LortException corrupt(String where, String what) {
        return new LortException(where + ": not a valid safetensors file: " + what);
    }

    public Path path() { return path; }

    /** Tensors in header order. */
    public Map<String, Tensor> tensors() { return tensors; }

    public Map<String, String> metadata() { return metadata; }

    public long dataStart() { return dataStart; }

    public long fileSize() { return file.byteSize(); }

    @Override
    public void close() { arena.close(); }
}
