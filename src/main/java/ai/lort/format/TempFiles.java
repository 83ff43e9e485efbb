package ai.lort.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The temporary files of {@link LortWriter}: {@code .NAME.tmp-PID} beside the output NAME, PID
 * being the writing process. A process killed with SIGKILL cannot remove its own, so the next
 * writer in that folder removes those whose process no longer runs and whose content is what a
 * writer leaves (the preamble, written last, is still zero, or is a LORT preamble). Processes are
 * looked up on this machine: two machines must not write into one shared folder at once.
 */
final class TempFiles {
    private static final Pattern NAME = Pattern.compile("\\..+\\.tmp-(\\d{1,10})");

    private TempFiles() {}

    static Path name(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    }

    /** Removes the stale temporary files in {@code dir}; best effort, never fails the caller. */
    static void removeStale(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp-*")) {
            for (Path p : files) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                long pid = Long.parseLong(m.group(1));
                if (pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).isPresent() || !writtenByLort(p)) continue;
                delete(p);
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable folder fails later, when the output is created, with its own message
        }
    }

    /** A writer's file starts with 64 zero bytes (the preamble comes last) or with a LORT preamble. */
    private static boolean writtenByLort(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(LortFormat.PREAMBLE_BYTES);
            if (head.length >= 4 && java.util.Arrays.equals(java.util.Arrays.copyOf(head, 4), LortFormat.MAGIC)) return true;
            for (byte b : head) if (b != 0) return false;
            return true;
        }
    }

    static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // nothing more can be done; the name starts with '.' and ends in .tmp-<pid>
        }
    }
}
