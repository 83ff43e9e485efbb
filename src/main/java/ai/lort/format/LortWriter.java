package ai.lort.format;

import ai.lort.LortException;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Streams a .lort file: embedded files, compressed layers and carried-over tensors are appended
 * one section at a time as they become ready, and the JSON index that locates them is written
 * last, with its position recorded in the fixed preamble. The file is built under a temporary
 * name in the target's folder and renamed into place by {@link #finish}; {@link #close} without
 * {@code finish} deletes it, and so does a shutdown hook when a signal stops the JVM, so an
 * interrupted run leaves nothing behind (after kill -9, the next writer in that folder removes it).
 */
public final class LortWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path target;
    private final Path temp;
    private final FileChannel ch;
    private final ObjectNode index = JsonNodeFactory.instance.objectNode();
    private final ArrayNode files = index.putArray("files");
    private final ArrayNode layers = index.putArray("layers");
    private final ArrayNode tensors = index.putArray("tensors");
    private long position = LortFormat.PREAMBLE_BYTES;
    /** The lowest version_minor that can read every layer written so far. */
    private int minor = 0;
    private boolean finished;

    /** Removes the temporary file when the JVM stops (SIGINT, SIGTERM) before the file is finished. */
    private final Thread cleanup;

    private LortWriter(Path target, Path temp, FileChannel ch) {
        this.target = target;
        this.temp = temp;
        this.ch = ch;
        this.cleanup = new Thread(() -> TempFiles.delete(temp), "lort-remove-temp");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Where writing {@code output} puts the file: a symbolic link is followed to the file it names
     * (which is replaced, the link kept); the result must be a regular file or not exist yet, in a
     * folder that exists. Called before any work, so a bad --output fails at once.
     */
    public static Path target(Path output) {
        Path abs = output.toAbsolutePath().normalize();
        try {
            if (Files.isSymbolicLink(abs)) {
                if (!Files.exists(abs)) throw new LortException(output + " is a symbolic link to a missing file (" + Files.readSymbolicLink(abs) + "); remove it or give another --output");
                abs = abs.toRealPath();
            } else if (abs.getParent() != null && Files.isDirectory(abs.getParent())) {
                abs = abs.getParent().toRealPath().resolve(abs.getFileName());
            }
        } catch (IOException e) {
            throw new LortException("cannot resolve " + output + ": " + e.getMessage());
        }
        if (Files.isDirectory(abs)) throw new LortException(output + " is a folder; give a file name for the output, e.g. " + output.resolve("model.lort"));
        if (Files.exists(abs) && !Files.isRegularFile(abs))
            throw new LortException(output + " is not a regular file (a device, pipe or socket); LoRT writes .lort files only to regular files");
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new LortException("output folder " + dir + " does not exist; create it first");
        return abs;
    }

    /**
     * Starts writing {@code output} (resolved by {@link #target}) under a temporary name in its
     * folder. Temporary files that killed writers left there (their process is gone) are removed
     * first, and this one is removed if the JVM is stopped by a signal before {@link #finish}.
     */
    public static LortWriter create(Path output) {
        Path target = target(output);
        Path dir = target.getParent();
        TempFiles.removeStale(dir);
        Path temp = TempFiles.name(target);
        try {
            FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.READ);
            return new LortWriter(target, temp, ch);
        } catch (AccessDeniedException e) {
            throw new LortException("cannot write to " + dir + ": permission denied; choose another --output");
        } catch (NoSuchFileException e) {
            throw new LortException("output folder " + dir + " does not exist; create it first");
        } catch (IOException e) {
            throw new LortException("cannot create " + temp + ": " + e.getMessage());
        }
    }

    /**
     * Embeds a source file (config.json, tokenizer.json, ...): zlib-compressed (format 1.2) when it
     * is at least {@link LortFormat#DEFLATE_FROM} bytes and that saves a tenth, else verbatim.
     */
    public void addFile(String name, byte[] content) {
        ObjectNode n = files.addObject();
        n.put("name", name);
        byte[] packed = content.length >= LortFormat.DEFLATE_FROM ? EmbeddedFiles.deflate(content) : null;
        if (packed != null && packed.length < content.length - content.length / 10) {
            n.put("encoding", EmbeddedFiles.ZLIB);
            n.put("size", content.length);
            minor = Math.max(minor, EmbeddedFiles.SINCE_MINOR);
            section(n, MemorySegment.ofArray(packed));
        } else {
            section(n, MemorySegment.ofArray(content));
        }
    }

    /**
     * Appends a compressed layer in its stored encoding.
     * @param info extra per-layer fields for the index (errors, bits per weight, ...), or null
     */
    public void addLayer(CompressedLayer layer, ObjectNode info) {
        ObjectNode n = layers.addObject();
        n.put("name", layer.name());
        n.putArray("shape").add(layer.rows()).add(layer.cols());
        n.put("rank", layer.rank());
        n.put("packing", layer.packing().id());
        n.put("scales", layer.scaleEncoding().id());
        Hadamard rotation = layer.rotation();
        Rotation kind = rotation == null ? Rotation.NONE : Rotation.HADAMARD;
        n.put("rotation", kind.id());
        if (rotation != null) {
            if (rotation.cols() != layer.cols()) throw new IllegalArgumentException(layer.name() + ": rotation of " + rotation.cols() + " inputs for " + layer.cols());
            // A decimal string: JSON readers that hold numbers as doubles would round a 64-bit seed.
            n.put("rotation_seed", Long.toString(rotation.seed()));
            n.put("rotation_block", rotation.block());
        }
        minor = Math.max(minor, Math.max(kind.sinceMinor(), Math.max(layer.packing().sinceMinor(), layer.scaleEncoding().sinceMinor())));
        ObjectNode sec = n.putObject("sections");
        section(sec.putObject("scales"), layer.scales());
        section(sec.putObject("a"), layer.a());
        section(sec.putObject("b"), layer.b());
        section(sec.putObject("codes"), layer.codes());
        if (info != null) n.set("info", info);
    }

    /** Carries a tensor over unchanged, in its original dtype. */
    public void addTensor(Tensor t) {
        ObjectNode n = tensors.addObject();
        n.put("name", t.name());
        n.put("dtype", t.dtype().name());
        ArrayNode shape = n.putArray("shape");
        for (long d : t.shape()) shape.add(d);
        section(n, t.data());
    }

    /**
     * Stores a kept matrix group-quantized (format 1.2): its entry in {@code tensors} has the
     * encoding as {@code dtype} and the source's dtype as {@code source_dtype}.
     */
    public void addQuantized(QuantizedTensor t) {
        ObjectNode n = tensors.addObject();
        n.put("name", t.name());
        n.put("dtype", t.encoding().id());
        n.putArray("shape").add(t.rows()).add(t.cols());
        if (t.sourceDtype() != null) n.put("source_dtype", t.sourceDtype().name());
        minor = Math.max(minor, GroupQuant.SINCE_MINOR);
        section(n, t.data());
    }

    /** Writes the index (with {@code metadata}), the preamble, syncs, and renames into place. */
    public void finish(ObjectNode metadata) {
        index.set("metadata", metadata);
        index.put("format", "lort");
        index.put("version", LortFormat.VERSION_MAJOR + "." + minor);
        try {
            byte[] json = JSON.writeValueAsBytes(index);
            long indexOffset = LortFormat.align(position);
            write(indexOffset, ByteBuffer.wrap(json));
            CRC32C crc = new CRC32C();
            crc.update(json);
            ByteBuffer pre = ByteBuffer.allocate(LortFormat.PREAMBLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            pre.put(LortFormat.MAGIC);
            pre.putShort((short) LortFormat.VERSION_MAJOR);
            pre.putShort((short) minor);
            pre.putInt(layers.size());
            pre.putInt(tensors.size());
            pre.putLong(indexOffset);
            pre.putLong(json.length);
            pre.putInt((int) crc.getValue());
            pre.putInt(0); // flags
            pre.rewind();
            write(0, pre);
            ch.force(true);
            ch.close();
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            finished = true;
            forgetCleanup();
        } catch (IOException e) {
            throw ioError(e);
        }
    }

    /** Bytes written so far. */
    public long size() { return position; }

    private void section(ObjectNode n, MemorySegment data) {
        long offset = LortFormat.align(position);
        long length = data.byteSize();
        CRC32C crc = new CRC32C();
        // Copy in slices: a carried-over tensor may be larger than a ByteBuffer can view.
        long chunk = 1 << 24;
        for (long done = 0; done < length; done += chunk) {
            ByteBuffer bb = data.asSlice(done, Math.min(chunk, length - done)).asByteBuffer();
            crc.update(bb.duplicate());
            write(offset + done, bb);
        }
        if (length == 0) position = Math.max(position, offset);
        n.put("offset", offset);
        n.put("length", length);
        n.put("crc32c", String.format("%08x", crc.getValue()));
    }

    private void write(long at, ByteBuffer bb) {
        try {
            long pos = at;
            while (bb.hasRemaining()) pos += ch.write(bb, pos);
            position = Math.max(position, pos);
        } catch (IOException e) {
            throw ioError(e);
        }
    }

    private LortException ioError(IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("No space left")) return new LortException("disk full while writing " + target + "; free space or choose another --output (nothing was left behind)");
        return new LortException("cannot write " + target + ": " + msg);
    }


    private void forgetCleanup() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway; it finds nothing to remove once the file is renamed
        }
    }

    @Override
    public void close() {
        if (finished) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // best effort: the temporary file is removed below either way
        }
        TempFiles.delete(temp);
        forgetCleanup();
    }
}
