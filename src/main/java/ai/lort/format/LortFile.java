package ai.lort.format;

import ai.lort.LortException;
import ai.lort.load.DType;
import ai.lort.load.MappedFile;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import ai.lort.util.Parallel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A memory-mapped .lort file (docs/FORMAT.md). Opening validates the preamble, the index checksum
 * and every section's bounds; layers and tensors are then views into the mapping, used in place.
 * Section checksums are checked on demand by {@link #verify()}.
 */
public final class LortFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A byte range of the file with its expected checksum. */
    public record Section(String what, long offset, long length, long crc32c) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final JsonNode index;
    private final int versionMinor;
    private final Map<String, CompressedLayer> layers;
    private final Map<String, JsonNode> layerInfo;
    private final Map<String, Tensor> tensors;
    private final Map<String, QuantizedTensor> quantized;
    private final Map<String, Section> files;
    private final List<Section> sections;

    private LortFile(Path path, Arena arena, MemorySegment file, JsonNode index, int versionMinor,
                     Map<String, CompressedLayer> layers, Map<String, JsonNode> layerInfo, Map<String, Tensor> tensors,
                     Map<String, QuantizedTensor> quantized, Map<String, Section> files, List<Section> sections) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.index = index;
        this.versionMinor = versionMinor;
        this.layers = layers;
        this.layerInfo = layerInfo;
        this.tensors = tensors;
        this.quantized = quantized;
        this.files = files;
        this.sections = sections;
    }

    public static LortFile open(Path path) {
        return MappedFile.open(path, f -> {
            if (f.size() < LortFormat.PREAMBLE_BYTES) throw bad(path, "file is " + f.size() + " bytes, too short for a .lort preamble");
            return parse(path, f.arena(), f.segment());
        });
    }

    /** True when the file starts with the .lort magic bytes (cheap check for format detection). */
    public static boolean looksLikeLort(Path path) {
        try (var in = java.nio.file.Files.newInputStream(path)) {
            return java.util.Arrays.equals(in.readNBytes(4), LortFormat.MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    private static LortFile parse(Path path, Arena arena, MemorySegment seg) {
        byte[] magic = seg.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
        if (!java.util.Arrays.equals(magic, LortFormat.MAGIC)) throw bad(path, "no LORT magic bytes at the start (not a .lort file)");
        int major = Short.toUnsignedInt(seg.get(SHORT_LE, 4));
        int minor = Short.toUnsignedInt(seg.get(SHORT_LE, 6));
        if (major != LortFormat.VERSION_MAJOR)
            throw new LortException(path + ": .lort format version " + major + "." + minor + " is not supported by this LoRT (reads " + LortFormat.VERSION_MAJOR + ".x); upgrade LoRT");
        long size = seg.byteSize();
        int layerCount = seg.get(INT_LE, 8);
        int tensorCount = seg.get(INT_LE, 12);
        long indexOffset = seg.get(LONG_LE, 16);
        long indexLength = seg.get(LONG_LE, 24);
        long indexCrc = Integer.toUnsignedLong(seg.get(INT_LE, 32));
        if (indexOffset < LortFormat.PREAMBLE_BYTES || indexLength <= 0 || indexOffset + indexLength > size)
            throw bad(path, "index at " + indexOffset + " (+" + indexLength + ") lies outside the " + size + "-byte file (truncated?)");
        byte[] json = seg.asSlice(indexOffset, indexLength).toArray(ValueLayout.JAVA_BYTE);
        CRC32C crc = new CRC32C();
        crc.update(json);
        if (crc.getValue() != indexCrc) throw bad(path, "index checksum mismatch (file corrupted)");
        JsonNode index;
        try {
            index = JSON.readTree(json);
        } catch (IOException e) {
            throw bad(path, "index is not valid JSON");
        }
        List<Section> sections = new ArrayList<>();
        Map<String, Section> files = new LinkedHashMap<>();
        for (JsonNode f : index.path("files")) {
            Section s = section(path, size, "file " + f.path("name").asText(), f);
            files.put(f.path("name").asText(), s);
            sections.add(s);
        }
        Map<String, CompressedLayer> layers = new LinkedHashMap<>();
        Map<String, JsonNode> info = new LinkedHashMap<>();
        for (JsonNode l : index.path("layers")) {
            String name = l.path("name").asText();
            Packing packing = known(path, name, "packing", l.path("packing").asText(), Packing.byId(l.path("packing").asText()), Packing.ids());
            ScaleEncoding scales = known(path, name, "scales", l.path("scales").asText(), ScaleEncoding.byId(l.path("scales").asText()), ScaleEncoding.ids());
            Rotation rotationKind = known(path, name, "rotation", l.path("rotation").asText(), Rotation.byId(l.path("rotation").asText()), Rotation.ids());
            int rows = l.path("shape").path(0).asInt(-1), cols = l.path("shape").path(1).asInt(-1), rank = l.path("rank").asInt(-1);
            if (rows <= 0 || cols <= 0 || rank < 0) throw bad(path, "layer " + name + " has a bad shape or rank");
            Hadamard rotation = null;
            if (rotationKind == Rotation.HADAMARD) {
                if (!l.path("rotation_seed").isIntegralNumber() || !l.path("rotation_block").isInt())
                    throw bad(path, "layer " + name + " has rotation 'hadamard' without an integer rotation_seed and rotation_block");
                try {
                    rotation = new Hadamard(cols, l.path("rotation_seed").asLong(), l.path("rotation_block").asInt());
                } catch (IllegalArgumentException e) {
                    throw bad(path, "layer " + name + ": " + e.getMessage());
                }
            }
            JsonNode secs = l.path("sections");
            Section sc = section(path, size, name + " scales", secs.path("scales"));
            Section sa = section(path, size, name + " a", secs.path("a"));
            Section sb = section(path, size, name + " b", secs.path("b"));
            Section st = section(path, size, name + " codes", secs.path("codes"));
            expectLength(path, sc, (long) scales.bytes() * rows);
            expectLength(path, sa, 2L * rank * cols);
            expectLength(path, sb, 2L * rank * rows);
            expectLength(path, st, (long) rows * packing.rowBytes(cols));
            sections.addAll(List.of(sc, sa, sb, st));
            layers.put(name, new CompressedLayer(name, rows, cols, rank, packing,
                    slice(seg, sc), slice(seg, sa), slice(seg, sb), slice(seg, st), scales, rotation));
            info.put(name, l.path("info"));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, QuantizedTensor> quantized = new LinkedHashMap<>();
        for (JsonNode t : index.path("tensors")) {
            String name = t.path("name").asText();
            Optional<GroupQuant> quant = GroupQuant.byId(t.path("dtype").asText());
            if (quant.isPresent()) {
                quantized.put(name, quantized(path, size, seg, t, name, quant.get(), sections));
                continue;
            }
            DType dtype = DType.parse(t.path("dtype").asText());
            if (dtype == null)
                throw new LortException(path + ": tensor " + name + " has dtype '" + t.path("dtype").asText() + "', which this LoRT does not know (it reads safetensors dtypes and "
                        + GroupQuant.ids() + "); upgrade LoRT");
            long[] shape = new long[t.path("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) { shape[i] = t.path("shape").get(i).asLong(); count *= shape[i]; }
            Section s = section(path, size, name, t);
            expectLength(path, s, count * dtype.size());
            sections.add(s);
            tensors.put(name, new Tensor(name, dtype, shape, slice(seg, s)));
        }
        if (layers.size() != layerCount || tensors.size() + quantized.size() != tensorCount)
            throw bad(path, "preamble counts (" + layerCount + " layers, " + tensorCount + " tensors) disagree with the index");
        return new LortFile(path, arena, seg, index, minor, Collections.unmodifiableMap(layers), Collections.unmodifiableMap(info),
                Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(quantized), Collections.unmodifiableMap(files), List.copyOf(sections));
    }

    /** A group-quantized tensor entry (format 1.2): a matrix, its length as its encoding says. */
    private static QuantizedTensor quantized(Path path, long size, MemorySegment seg, JsonNode t, String name, GroupQuant q, List<Section> sections) {
        JsonNode shape = t.path("shape");
        int rows = shape.path(0).asInt(-1), cols = shape.path(1).asInt(-1);
        if (shape.size() != 2 || rows <= 0 || cols <= 0) throw bad(path, "tensor " + name + " (" + q + ") is not a matrix with a valid shape");
        DType source = t.has("source_dtype") ? DType.parse(t.path("source_dtype").asText()) : null;
        Section s = section(path, size, name, t);
        expectLength(path, s, q.bytes(rows, cols));
        sections.add(s);
        return new QuantizedTensor(name, q, rows, cols, source, slice(seg, s));
    }

    private static <T> T known(Path path, String layer, String field, String value, Optional<T> parsed, String known) {
        return parsed.orElseThrow(() -> new LortException(path + ": layer " + layer + " uses " + field + " '" + value
                + "', which this LoRT does not know (it reads " + known + "); upgrade LoRT"));
    }

    private static Section section(Path path, long size, String what, JsonNode n) {
        long off = n.path("offset").asLong(-1), len = n.path("length").asLong(-1);
        if (off < LortFormat.PREAMBLE_BYTES || len < 0 || off + len > size || off % LortFormat.ALIGNMENT != 0)
            throw bad(path, what + " lies outside the file or is misaligned (offset " + off + ", length " + len + ")");
        long crc;
        try {
            crc = Long.parseLong(n.path("crc32c").asText(), 16);
        } catch (NumberFormatException e) {
            throw bad(path, what + " has no valid crc32c");
        }
        return new Section(what, off, len, crc);
    }

    private static void expectLength(Path path, Section s, long expected) {
        if (s.length() != expected) throw bad(path, s.what() + " holds " + s.length() + " bytes, expected " + expected);
    }

    private static MemorySegment slice(MemorySegment seg, Section s) {
        return seg.asSlice(s.offset(), s.length());
    }

    private static LortException bad(Path path, String what) {
        return new LortException(path + ": not a valid .lort file: " + what);
    }

    public Path path() { return path; }

    public String version() { return LortFormat.VERSION_MAJOR + "." + versionMinor; }

    public long fileSize() { return file.byteSize(); }

    /** The whole JSON index. */
    public JsonNode index() { return index; }

    /** The metadata object of the index (source, options, summary). */
    public JsonNode metadata() { return index.path("metadata"); }

    public Map<String, CompressedLayer> layers() { return layers; }

    /** Per-layer extra fields written by the compressor (errors, bits per weight). */
    public JsonNode layerInfo(String name) { return layerInfo.getOrDefault(name, com.fasterxml.jackson.databind.node.MissingNode.getInstance()); }

    /** Tensors kept in a safetensors dtype (not the group-quantized ones: {@link #quantized()}). */
    public Map<String, Tensor> tensors() { return tensors; }

    /** Kept matrices stored group-quantized (format 1.2): the embedding and output head by default. */
    public Map<String, QuantizedTensor> quantized() { return quantized; }

    public java.util.Set<String> fileNames() { return files.keySet(); }

    /** An embedded file (config.json, tokenizer.json, ...). */
    public Optional<byte[]> file(String name) {
        Section s = files.get(name);
        return s == null ? Optional.empty() : Optional.of(file.asSlice(s.offset(), s.length()).toArray(ValueLayout.JAVA_BYTE));
    }

    /** Checks every section's CRC32C; returns the sections that fail (empty when the file is intact). */
    public List<Section> verify() {
        List<Section> failed = new ArrayList<>();
        for (Section s : sections) {
            CRC32C crc = new CRC32C();
            long chunk = 1 << 24;
            for (long done = 0; done < s.length(); done += chunk)
                crc.update(file.asSlice(s.offset() + done, Math.min(chunk, s.length() - done)).asByteBuffer());
            if (crc.getValue() != s.crc32c()) failed.add(s);
        }
        return failed;
    }

    public List<Section> sections() { return sections; }

    /**
     * Reconstructs {@code Ŵ = diag(s)·T + B·A} of a layer as row-major floats (tests, export), in
     * the input's own basis: a rotated layer's rows are multiplied by R.
     */
    public static float[] reconstruct(CompressedLayer l) { return reconstruct(l, 1); }

    /** {@link #reconstruct}, the rows split over up to {@code threads} threads (the same bits for any count). */
    public static float[] reconstruct(CompressedLayer l, int threads) {
        return reconstructRows(l, 0, l.rows(), true, true, threads);
    }

    /**
     * Rows {@code [from, to)} of a layer's reconstruction, row-major, in the input's own basis: the
     * ternary part {@code diag(s)·T} when {@code ternary}, plus {@code B·A} when {@code lowRank}
     * (both: {@link #reconstruct}, the same bits). Export streams a layer through this a block of
     * rows at a time.
     */
    public static float[] reconstructRows(CompressedLayer l, int from, int to, boolean ternary, boolean lowRank, int threads) {
        int n = l.cols(), r = lowRank ? l.rank() : 0;
        if (from < 0 || to > l.rows() || from > to) throw new IllegalArgumentException("rows " + from + ".." + to + " of " + l.rows());
        float[] a = halves(l.a(), 0, r * n), b = halves(l.b(), (long) from * l.rank(), (to - from) * l.rank());
        float[] out = new float[(to - from) * n];
        float[] signs = l.rotation() == null ? null : l.rotation().signVector();
        Parallel.forRanges(to - from, 16, threads, (lo, hi) -> {
            byte[] packed = new byte[l.packing().rowBytes(n)], t = new byte[n];
            for (int i = lo; i < hi; i++) {
                int off = i * n;
                if (ternary) {
                    l.ternaryRow(from + i, packed, t);
                    float s = l.scale(from + i);
                    for (int j = 0; j < n; j++) out[off + j] = s * t[j];
                }
                for (int k = 0; k < r; k++) {
                    float bik = b[i * l.rank() + k];
                    for (int j = 0, ao = k * n; j < n; j++) out[off + j] += bik * a[ao + j];
                }
                // Row ŵ·R = (Rᵀ·ŵᵀ)ᵀ.
                if (signs != null) l.rotation().rotateBack(out, off, signs);
            }
        });
        return out;
    }

    private static float[] halves(MemorySegment seg, long first, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(seg.getAtIndex(SHORT_LE, first + i));
        return out;
    }

    @Override
    public void close() { arena.close(); }
}
