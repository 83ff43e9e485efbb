package ai.lort.load;

import ai.lort.LortException;
import ai.lort.util.StrictJson;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * is UTF-8 JSON without repeated keys, every dtype is one of the format's names (upper case),
 * every dimension a non-negative integer, each range's length equals shape × dtype size (computed
 * without overflow), and the ranges tile the data section with no gap or overlap. Files over 2 GiB
 * are fine.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation refuses headers over 100 MB. */
    static final long MAX_HEADER = 100L * 1024 * 1024;

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

    /**
     * Validates the header of the file in {@code seg} and views its tensors; {@code arena} owns
     * the mapping (null for a heap segment).
     */
    static SafetensorsFile parse(Path path, Arena arena, MemorySegment seg, long size) {
        String where = path.getFileName().toString();
        if (size < 8) throw corrupt(where, "file is " + size + " bytes, shorter than the 8-byte header length");
        long headerLen = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER) throw corrupt(where, "header length " + headerLen + " is not plausible (truncated or not a safetensors file)");
        if (headerLen > size - 8) throw corrupt(where, "header length " + headerLen + " runs past the end of the " + size + "-byte file (truncated?)");
        byte[] hb = seg.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = StrictJson.parse(hb, "header");
        } catch (LortException e) {
            throw corrupt(where, e.getMessage());
        }
        if (!root.isObject()) throw corrupt(where, "header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Range> ranges = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw corrupt(where, "__metadata__ is not an object");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) throw corrupt(where, "__metadata__ value '" + kv.getKey() + "' is not a string");
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            if (!v.isObject()) throw corrupt(where, "entry '" + name + "' is not an object");
            JsonNode dt = v.path("dtype");
            DType dtype = dt.isTextual() ? DType.parse(dt.textValue()) : null;
            if (dtype == null) throw corrupt(where, "tensor '" + name + "' has unknown dtype " + StrictJson.describe(dt) + " (known: " + DType.names() + ")");
            JsonNode shapeNode = v.path("shape");
            JsonNode offs = v.path("data_offsets");
            if (!shapeNode.isArray()) throw corrupt(where, "tensor '" + name + "' has no shape array");
            if (!offs.isArray() || offs.size() != 2) throw corrupt(where, "tensor '" + name + "' needs data_offsets [begin, end]");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0 || d.longValue() > Integer.MAX_VALUE)
                    throw corrupt(where, "tensor '" + name + "' has dimension " + StrictJson.describe(d) + "; a dimension is an integer from 0 to " + Integer.MAX_VALUE);
                shape[i] = d.longValue();
                count = multiply(where, name, count, shape[i]);
            }
            long begin = offset(where, name, offs.get(0)), end = offset(where, name, offs.get(1));
            if (end < begin) throw corrupt(where, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] out of order");
            if (end > dataSize) throw corrupt(where, "tensor '" + name + "' ends at byte " + end + " but the data section holds " + dataSize + " bytes (truncated file or lying header)");
            long expected = multiply(where, name, count, dtype.size());
            if (end - begin != expected) throw corrupt(where, "tensor '" + name + "' holds " + (end - begin) + " bytes but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected);
            ranges.add(new Range(name, begin, end));
            tensors.put(name, new Tensor(name, dtype, shape, seg.asSlice(dataStart + begin, end - begin)));
        }
        // As the reference reader: sorted by offset, the tensors tile the data section exactly,
        // with no gap, no overlap (a zero-length tensor included) and nothing after the last one.
        ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
        long at = 0;
        for (Range r : ranges) {
            if (r.begin != at) throw corrupt(where, "tensor '" + r.name + "' starts at byte " + r.begin + " of the data section, but the tensors before it end at " + at
                    + " (tensors must follow one another without gaps or overlaps)");
            at = r.end;
        }
        if (at != dataSize) throw corrupt(where, "the tensors end at byte " + at + " of the data section, but it holds " + dataSize + " bytes (trailing bytes or truncated)");
        return new SafetensorsFile(path, arena, seg, dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private record Range(String name, long begin, long end) {}

    private static long offset(String where, String name, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0)
            throw corrupt(where, "tensor '" + name + "' has data offset " + StrictJson.describe(n) + "; offsets are non-negative integers");
        return n.longValue();
    }

    private static long multiply(String where, String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw corrupt(where, "tensor '" + name + "' has a shape whose size overflows 64 bits");
        }
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
    public void close() { if (arena != null) arena.close(); }
}
