package ai.lort.load;

import ai.lort.LortException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file mapped read-only into memory (files over 2 GiB included), owned by its own shared
 * arena: the segment stays valid until {@link #close}. Parsers take the segment and keep this
 * object to close.
 */
public record MappedFile(Path path, Arena arena, MemorySegment segment) implements AutoCloseable {
    /** A parse step that may throw; on a throw the mapping is released. */
    public interface Parser<T> {
        T parse(MappedFile file);
    }

    public static <T> T open(Path path, Parser<T> parser) {
        requireRegularFile(path);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            T result = parser.parse(new MappedFile(path, arena, seg));
            arena = null; // owned by the result now
            return result;
        } catch (NoSuchFileException e) {
            throw new LortException(path + ": no such file");
        } catch (IOException e) {
            throw new LortException(path + ": cannot read (" + e.getMessage() + ")");
        } finally {
            if (arena != null) arena.close();
        }
    }

    /**
     * Refuses a path that is not a regular file (after symbolic links) before anything opens it:
     * opening a named pipe for reading would block until a writer comes, and a device or a folder
     * is no model.
     */
    public static void requireRegularFile(Path path) {
        if (Files.isRegularFile(path)) return;
        if (!Files.exists(path)) throw new LortException(path + ": no such file");
        if (Files.isDirectory(path)) throw new LortException(path + ": is a folder, not a file");
        throw new LortException(path + ": not a regular file (a device, pipe or socket); give a file");
    }

    public long size() { return segment.byteSize(); }

    @Override
    public void close() { arena.close(); }
}
