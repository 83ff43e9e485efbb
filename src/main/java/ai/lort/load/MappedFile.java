package ai.lort.load;

import ai.lort.LortException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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

    public long size() { return segment.byteSize(); }

    @Override
    public void close() { arena.close(); }
}
