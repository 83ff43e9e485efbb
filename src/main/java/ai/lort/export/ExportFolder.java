package ai.lort.export;

import ai.lort.LortException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The output folder of an export, built under a temporary name beside the target and renamed into
 * place by {@link #finish}, so an interrupted export leaves nothing that looks like a model. The
 * target must not exist, or be an empty folder: an export never writes over files.
 */
final class ExportFolder implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private boolean finished;

    private ExportFolder(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    static ExportFolder create(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new LortException("output folder " + parent + " does not exist; create it first");
        if (Files.exists(abs) && !isEmptyFolder(abs))
            throw new LortException(target + " already exists and is not an empty folder; give a new folder with -o (an export never writes over files)");
        Path temp = parent.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteTree(temp);
            Files.createDirectory(temp);
        } catch (AccessDeniedException e) {
            throw new LortException("cannot write to " + parent + ": permission denied; choose another -o");
        } catch (IOException e) {
            throw new LortException("cannot create " + temp + ": " + e.getMessage());
        }
        return new ExportFolder(abs, temp);
    }

    /** Where the files are written until {@link #finish}. */
    Path dir() { return temp; }

    Path target() { return target; }

    /** Renames the finished folder into place. */
    void finish() {
        try {
            if (Files.isDirectory(target)) Files.delete(target); // empty, checked at create
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            finished = true;
        } catch (IOException e) {
            throw new LortException("cannot move the export into " + target + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (finished) return;
        try {
            deleteTree(temp);
        } catch (IOException ignored) {
            // best effort: the name starts with '.' and ends in .tmp-<pid>
        }
    }

    private static boolean isEmptyFolder(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
