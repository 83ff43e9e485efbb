package ai.lort.format;

import ai.lort.LortException;
import ai.lort.load.MappedFile;
import ai.lort.load.Tensor;
import ai.lort.util.Parallel;
import com.fasterxml.jackson.databind.JsonNode;
import ai.lort.util.StrictJson;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A memory-mapped .lort file (docs/FORMAT.md). Opening validates the preamble, the index checksum
 * and every field of the index ({@link LortIndex}); layers and tensors are then views into the
 * mapping, used in place. Section checksums and ternary codes are checked by {@link #verify()}
 * (one pass over the mapped bytes), which the commands that run a model always do.
 */
public final class LortFile implements AutoCloseable {
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
    private final Map<String, Integer> inflatedSizes;
    private final List<Section> sections;
    private final Map<String, Section> codeSections;

    private LortFile(Path path, Arena arena, MemorySegment file, JsonNode index, int versionMinor,
                     Map<String, CompressedLayer> layers, Map<String, JsonNode> layerInfo, Map<String, Tensor> tensors,
                     Map<String, QuantizedTensor> quantized, Map<String, Section> files, Map<String, Integer> inflatedSizes,
                     List<Section> sections, Map<String, Section> codeSections) {
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
        this.inflatedSizes = inflatedSizes;
        this.sections = sections;
        this.codeSections = codeSections;
    }

    /**
     * Opens and checks the structure of the file: the preamble, the index (its CRC, every field,
     * every section's bounds, the zero padding). Section checksums and ternary codes are checked by
     * {@link #verify()}; {@link #openVerified} does both, as every command that runs a model does.
     */
    public static LortFile open(Path path) {
        return MappedFile.open(path, f -> parse(path, f.arena(), f.segment()));
    }

    /** {@link #open}, then {@link #checkIntegrity()}: what infer, eval and compress --eval read. */
    public static LortFile openVerified(Path path) {
        LortFile f = open(path);
        try {
            f.checkIntegrity();
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** True when the file starts with the .lort magic bytes (cheap check for format detection). */
    public static boolean looksLikeLort(Path path) {
        if (!java.nio.file.Files.isRegularFile(path)) return false;
        try (var in = java.nio.file.Files.newInputStream(path)) {
            return java.util.Arrays.equals(in.readNBytes(4), LortFormat.MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /** Parses a whole .lort file held in {@code seg} ({@code arena} owns it; null for a heap segment). */
    static LortFile parse(Path path, Arena arena, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < LortFormat.PREAMBLE_BYTES) throw bad(path, "file is " + size + " bytes, too short for the 64-byte preamble");
        byte[] magic = seg.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
        if (!java.util.Arrays.equals(magic, LortFormat.MAGIC)) throw bad(path, "no LORT magic bytes at the start (not a .lort file)");
        int major = Short.toUnsignedInt(seg.get(SHORT_LE, 4));
        int minor = Short.toUnsignedInt(seg.get(SHORT_LE, 6));
        if (major != LortFormat.VERSION_MAJOR)
            throw new LortException(path + ": .lort format version " + major + "." + minor + " is not supported by this LoRT (reads " + LortFormat.VERSION_MAJOR + ".x); upgrade LoRT");
        long layerCount = Integer.toUnsignedLong(seg.get(INT_LE, 8));
        long tensorCount = Integer.toUnsignedLong(seg.get(INT_LE, 12));
        long indexOffset = seg.get(LONG_LE, 16);
        long indexLength = seg.get(LONG_LE, 24);
        long indexCrc = Integer.toUnsignedLong(seg.get(INT_LE, 32));
        int flags = seg.get(INT_LE, 36);
        if (flags != 0) throw bad(path, "preamble flags are " + Integer.toHexString(flags) + "; version 1 defines none (must be 0)");
        for (int i = 40; i < LortFormat.PREAMBLE_BYTES; i++)
            if (seg.get(ValueLayout.JAVA_BYTE, i) != 0) throw bad(path, "reserved preamble byte " + i + " is not zero");
        if (indexOffset < LortFormat.PREAMBLE_BYTES || indexOffset % LortFormat.ALIGNMENT != 0 || indexLength <= 0 || indexLength > size - indexOffset)
            throw bad(path, "index at " + indexOffset + " (+" + indexLength + ") lies outside the " + size + "-byte file or is misaligned (truncated?)");
        if (indexOffset + indexLength != size) throw bad(path, "the file has " + (size - indexOffset - indexLength) + " bytes after the index (it must end with it)");
        if (indexLength > LortFormat.MAX_INDEX_BYTES) throw bad(path, "index of " + indexLength + " bytes is larger than any LoRT writes");
        byte[] json = seg.asSlice(indexOffset, indexLength).toArray(ValueLayout.JAVA_BYTE);
        CRC32C crc = new CRC32C();
        crc.update(json);
        if (crc.getValue() != indexCrc) throw bad(path, "index checksum mismatch (file corrupted)");
        LortIndex x;
        JsonNode index;
        try {
            index = StrictJson.parse(json, "the index");
            x = LortIndex.read(index, seg, indexOffset, major, minor);
        } catch (LortException e) {
            throw bad(path, e.getMessage());
        }
        if (x.layers.size() != layerCount || x.tensors.size() + x.quantized.size() != tensorCount)
            throw bad(path, "preamble counts (" + layerCount + " layers, " + tensorCount + " tensors) disagree with the index ("
                    + x.layers.size() + ", " + (x.tensors.size() + x.quantized.size()) + ")");
        return new LortFile(path, arena, seg, index, minor, Collections.unmodifiableMap(x.layers), Collections.unmodifiableMap(x.layerInfo),
                Collections.unmodifiableMap(x.tensors), Collections.unmodifiableMap(x.quantized), Collections.unmodifiableMap(x.files), Map.copyOf(x.inflatedSizes), List.copyOf(x.sections), Map.copyOf(x.codeSections));
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

    /** An embedded file (config.json, tokenizer.json, ...), its CRC-32C checked, inflated when stored compressed. */
    public Optional<byte[]> file(String name) {
        Section s = files.get(name);
        if (s == null) return Optional.empty();
        byte[] bytes = file.asSlice(s.offset(), s.length()).toArray(ValueLayout.JAVA_BYTE);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if (crc.getValue() != s.crc32c()) throw new LortException(path + ": embedded " + name + " fails its CRC-32C check (file corrupted); compress the model again");
        Integer size = inflatedSizes.get(name);
        return Optional.of(size == null ? bytes : EmbeddedFiles.inflate(bytes, size, path + ": embedded " + name));
    }

    /** A section that fails verification, and why. */
    public record Problem(Section section, String what) {
        @Override
        public String toString() { return section.what() + " (offset " + section.offset() + "): " + what; }
    }

    /**
     * Checks every section's CRC-32C, every compressed layer's codes (no invalid code, padding
     * weights zero, docs/FORMAT.md) and that every compressed embedded file inflates to its stated
     * size; returns what fails, empty when the file is intact.
     */
    public List<Problem> verify() {
        List<Problem> failed = new ArrayList<>();
        for (Section s : sections) {
            CRC32C crc = new CRC32C();
            long chunk = 1 << 24;
            for (long done = 0; done < s.length(); done += chunk)
                crc.update(file.asSlice(s.offset() + done, Math.min(chunk, s.length() - done)).asByteBuffer());
            if (crc.getValue() != s.crc32c()) failed.add(new Problem(s, String.format("CRC-32C is %08x, the index says %08x", crc.getValue(), s.crc32c())));
        }
        for (CompressedLayer l : layers.values()) {
            String invalid = l.packing().invalidCode(l.codes(), l.rows(), l.cols());
            if (invalid != null) failed.add(new Problem(codeSections.get(l.name()), invalid));
        }
        for (Map.Entry<String, Integer> e : inflatedSizes.entrySet()) {
            Section s = files.get(e.getKey());
            try {
                EmbeddedFiles.inflate(file.asSlice(s.offset(), s.length()).toArray(ValueLayout.JAVA_BYTE), e.getValue(), "the zlib stream");
            } catch (LortException x) {
                failed.add(new Problem(s, x.getMessage()));
            }
        }
        return failed;
    }

    /** Throws a one-line error naming the first problem {@link #verify()} finds, and how many there are. */
    public void checkIntegrity() {
        List<Problem> failed = verify();
        if (failed.isEmpty()) return;
        throw new LortException(path + ": damaged: " + failed.getFirst() + (failed.size() > 1 ? " (and " + (failed.size() - 1) + " more sections)" : "")
                + "; compress the model again or copy the file anew");
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
    public void close() { if (arena != null) arena.close(); }
}
