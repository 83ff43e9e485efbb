package ai.lort.format;

import ai.lort.LortException;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import ai.lort.util.StrictJson;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON index of a .lort file, checked against docs/FORMAT.md before anything is handed out:
 * every field of the type and range the format gives it, names unique, encodings known and not
 * newer than the file's version, each section's length what its shape needs (computed without
 * overflow), sections inside the file before the index, not overlapping, and zero bytes between
 * them. Messages name the entry and field; the caller prefixes the file.
 */
final class LortIndex {
    /** Largest layer or tensor dimension (Java arrays and the kernels index with ints). */
    static final long MAX_DIM = Integer.MAX_VALUE;
    /** Widest group-quantized row (its byte count stays an int). */
    static final long MAX_QUANTIZED_COLS = 1L << 30;
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]{1,19}");

    final Map<String, CompressedLayer> layers = new LinkedHashMap<>();
    final Map<String, JsonNode> layerInfo = new LinkedHashMap<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    final Map<String, QuantizedTensor> quantized = new LinkedHashMap<>();
    final Map<String, LortFile.Section> files = new LinkedHashMap<>();
    /** The inflated sizes of the zlib-compressed embedded files, by name. */
    final Map<String, Integer> inflatedSizes = new LinkedHashMap<>();
    final List<LortFile.Section> sections = new ArrayList<>();
    final Map<String, LortFile.Section> codeSections = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();
    private final MemorySegment file;
    private final long indexOffset;
    private final int minor;

    private LortIndex(MemorySegment file, long indexOffset, int minor) {
        this.file = file;
        this.indexOffset = indexOffset;
        this.minor = minor;
    }

    /** Reads {@code index} of a file of version 1.{@code minor} whose index starts at {@code indexOffset}. */
    static LortIndex read(JsonNode index, MemorySegment file, long indexOffset, int major, int minor) {
        LortIndex x = new LortIndex(file, indexOffset, minor);
        if (!index.isObject()) throw new LortException("the index is not a JSON object");
        if (!"lort".equals(index.path("format").textValue())) throw new LortException("the index's 'format' is " + StrictJson.describe(index.get("format")) + ", not \"lort\"");
        String version = major + "." + minor;
        if (!version.equals(index.path("version").textValue()))
            throw new LortException("the index's 'version' is " + StrictJson.describe(index.get("version")) + " but the preamble says " + version);
        for (JsonNode f : array(index, "files")) {
            String name = x.name(f, "file");
            x.files.put(name, x.section("file " + name, f));
            x.encoding(f, name);
        }
        for (JsonNode l : array(index, "layers")) x.layer(l);
        for (JsonNode t : array(index, "tensors")) x.tensor(t);
        JsonNode meta = index.get("metadata");
        if (meta != null && !meta.isObject()) throw new LortException("the index's 'metadata' is not an object");
        x.checkLayout();
        return x;
    }

    private static Iterable<JsonNode> array(JsonNode index, String field) {
        JsonNode n = index.get(field);
        if (n == null || !n.isArray()) throw new LortException("the index has no '" + field + "' array");
        return n;
    }

    /** A file's optional {@code encoding}: absent (verbatim) or zlib with its inflated {@code size}. */
    private void encoding(JsonNode f, String name) {
        String what = "file " + name;
        if (!f.has("encoding")) return;
        String enc = StrictJson.text(f, "encoding", what);
        if (!enc.equals(EmbeddedFiles.ZLIB))
            throw new LortException(what + " uses encoding '" + enc + "', which this LoRT does not know (it reads " + EmbeddedFiles.ZLIB + "); upgrade LoRT");
        since(what, enc, EmbeddedFiles.SINCE_MINOR);
        inflatedSizes.put(name, (int) StrictJson.integer(f, "size", 0, EmbeddedFiles.MAX_SIZE, what));
    }

    /** The entry's name: a non-empty string, unique among all files, layers and tensors. */
    private String name(JsonNode entry, String kind) {
        if (!entry.isObject()) throw new LortException("a " + kind + " entry is not an object: " + StrictJson.describe(entry));
        String name = StrictJson.text(entry, "name", "a " + kind + " entry");
        if (name.isEmpty()) throw new LortException("a " + kind + " entry has an empty name");
        if (!names.add(kind.equals("file") ? "file:" + name : name)) throw new LortException(kind + " '" + name + "' appears twice in the index");
        return name;
    }

    private void layer(JsonNode l) {
        String name = name(l, "layer");
        String what = "layer " + name;
        Packing packing = known(what, "packing", l, Packing::byId, Packing.ids());
        ScaleEncoding scales = known(what, "scales", l, ScaleEncoding::byId, ScaleEncoding.ids());
        Rotation rotationKind = known(what, "rotation", l, Rotation::byId, Rotation.ids());
        since(what, packing.id(), packing.sinceMinor());
        since(what, scales.id(), scales.sinceMinor());
        since(what, rotationKind.id(), rotationKind.sinceMinor());
        JsonNode shape = l.get("shape");
        if (shape == null || !shape.isArray() || shape.size() != 2) throw new LortException(what + " needs 'shape' as [out, in]");
        int rows = (int) StrictJson.integerValue(shape.get(0), 1, MAX_DIM, what + " shape[0]");
        int cols = (int) StrictJson.integerValue(shape.get(1), 1, MAX_DIM, what + " shape[1]");
        int rank = (int) StrictJson.integer(l, "rank", 0, Math.min(rows, cols), what);
        Hadamard rotation = null;
        if (rotationKind == Rotation.HADAMARD) {
            long seed = rotationSeed(l, what);
            int block = (int) StrictJson.integer(l, "rotation_block", 1, cols, what);
            if (Integer.bitCount(block) != 1 || cols % block != 0)
                throw new LortException(what + ": rotation_block " + block + " is not a power of two dividing " + cols);
            rotation = new Hadamard(cols, seed, block);
        }
        JsonNode secs = l.get("sections");
        if (secs == null || !secs.isObject()) throw new LortException(what + " has no 'sections' object");
        LortFile.Section sc = section(what + " scales", secs.path("scales"));
        LortFile.Section sa = section(what + " a", secs.path("a"));
        LortFile.Section sb = section(what + " b", secs.path("b"));
        LortFile.Section st = section(what + " codes", secs.path("codes"));
        expectLength(sc, (long) scales.bytes() * rows);
        expectLength(sa, 2L * rank * cols);
        expectLength(sb, 2L * rank * rows);
        expectLength(st, (long) rows * packing.rowBytes(cols));
        JsonNode info = l.get("info");
        if (info != null && !info.isObject()) throw new LortException(what + ": 'info' is not an object");
        layers.put(name, new CompressedLayer(name, rows, cols, rank, packing,
                slice(sc), slice(sa), slice(sb), slice(st), scales, rotation));
        codeSections.put(name, st);
        layerInfo.put(name, info == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : info);
    }

    /** The seed as a decimal string (since LoRT writes it so) or, as older files have it, a JSON integer. */
    private static long rotationSeed(JsonNode l, String what) {
        JsonNode n = l.get("rotation_seed");
        if (n != null && n.isTextual() && DECIMAL.matcher(n.textValue()).matches()) {
            try {
                return Long.parseLong(n.textValue());
            } catch (NumberFormatException e) {
                // out of range: refused below
            }
        } else if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        throw new LortException(what + " has rotation 'hadamard' but its rotation_seed " + StrictJson.describe(n)
                + " is not a 64-bit integer (a decimal string or a JSON integer)");
    }

    private void tensor(JsonNode t) {
        String name = name(t, "tensor");
        String what = "tensor " + name;
        String dt = StrictJson.text(t, "dtype", what);
        Optional<GroupQuant> quant = GroupQuant.byId(dt);
        if (quant.isPresent()) {
            quantizedTensor(t, name, what, quant.get());
            return;
        }
        DType dtype = DType.parse(dt);
        if (dtype == null) throw new LortException(what + " has unknown dtype '" + dt + "' (known: " + DType.names() + ", " + GroupQuant.ids() + ")");
        JsonNode shapeNode = t.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) throw new LortException(what + " has no 'shape' array");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = StrictJson.integerValue(shapeNode.get(i), 0, MAX_DIM, what + " shape[" + i + "]");
            count = multiply(what, count, shape[i]);
        }
        LortFile.Section s = section(what, t);
        expectLength(s, multiply(what, count, dtype.size()));
        tensors.put(name, new Tensor(name, dtype, shape, slice(s)));
    }

    /** A group-quantized matrix (format 1.2): its length is what its encoding gives for its shape. */
    private void quantizedTensor(JsonNode t, String name, String what, GroupQuant q) {
        since(what, q.id(), GroupQuant.SINCE_MINOR);
        JsonNode shape = t.get("shape");
        if (shape == null || !shape.isArray() || shape.size() != 2) throw new LortException(what + " (" + q + ") needs a 'shape' of two dimensions");
        int rows = (int) StrictJson.integerValue(shape.get(0), 1, MAX_DIM, what + " shape[0]");
        int cols = (int) StrictJson.integerValue(shape.get(1), 1, MAX_QUANTIZED_COLS, what + " shape[1]");
        DType source = null;
        if (t.has("source_dtype")) {
            String sd = StrictJson.text(t, "source_dtype", what);
            source = DType.parse(sd);
            if (source == null) throw new LortException(what + " has unknown source_dtype '" + sd + "' (known: " + DType.names() + ")");
        }
        LortFile.Section s = section(what, t);
        expectLength(s, q.bytes(rows, cols));
        quantized.put(name, new QuantizedTensor(name, q, rows, cols, source, slice(s)));
    }

    private static long multiply(String what, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new LortException(what + ": its shape's size overflows 64 bits");
        }
    }

    private <T> T known(String what, String field, JsonNode l, java.util.function.Function<String, Optional<T>> byId, String knownIds) {
        String value = StrictJson.text(l, field, what);
        return byId.apply(value).orElseThrow(() -> new LortException(what + " uses " + field + " '" + value
                + "', which this LoRT does not know (it reads " + knownIds + "); upgrade LoRT"));
    }

    private void since(String what, String id, int sinceMinor) {
        if (sinceMinor > minor)
            throw new LortException(what + " uses '" + id + "' of format 1." + sinceMinor + ", but the file says it is 1." + minor);
    }

    /** A byte range: offset a multiple of 64 from 64 on, ending at or before the index, with its CRC-32C. */
    private LortFile.Section section(String what, JsonNode n) {
        if (!n.isObject()) throw new LortException(what + " has no section (offset, length, crc32c)");
        long off = StrictJson.integer(n, "offset", LortFormat.PREAMBLE_BYTES, indexOffset, what);
        long len = StrictJson.integer(n, "length", 0, indexOffset - off, what);
        if (off % LortFormat.ALIGNMENT != 0) throw new LortException(what + " starts at " + off + ", not a multiple of " + LortFormat.ALIGNMENT);
        String crc = StrictJson.text(n, "crc32c", what);
        if (!crc.matches("[0-9a-f]{8}")) throw new LortException(what + " has crc32c '" + StrictJson.describe(n.get("crc32c")) + "', not 8 lower-case hex digits");
        LortFile.Section s = new LortFile.Section(what, off, len, Long.parseLong(crc, 16));
        sections.add(s);
        return s;
    }

    private static void expectLength(LortFile.Section s, long expected) {
        if (s.length() != expected) throw new LortException(s.what() + " holds " + s.length() + " bytes, expected " + expected);
    }

    private MemorySegment slice(LortFile.Section s) {
        return file.asSlice(s.offset(), s.length());
    }

    /** Sections may not overlap, and every byte between them (and before the index) is zero. */
    private void checkLayout() {
        List<LortFile.Section> sorted = new ArrayList<>(sections);
        sorted.sort(Comparator.comparingLong(LortFile.Section::offset).thenComparingLong(LortFile.Section::length));
        long end = LortFormat.PREAMBLE_BYTES;
        LortFile.Section previous = null;
        for (LortFile.Section s : sorted) {
            if (s.length() == 0) continue;
            if (s.offset() < end) throw new LortException(s.what() + " overlaps " + previous.what());
            zeros(end, s.offset(), "padding before " + s.what());
            end = s.offset() + s.length();
            previous = s;
        }
        zeros(end, indexOffset, "padding before the index");
    }

    private void zeros(long from, long to, String what) {
        for (long i = from; i < to; i++)
            if (file.get(ValueLayout.JAVA_BYTE, i) != 0) throw new LortException(what + " holds a non-zero byte at offset " + i);
    }
}
