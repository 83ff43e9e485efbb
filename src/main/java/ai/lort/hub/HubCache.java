package ai.lort.hub;

import ai.lort.LortException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * One repository's folder in the hub cache, laid out exactly as {@code huggingface_hub} lays it
 * out, so that either tool reuses what the other downloaded:
 * <pre>
 * models--org--name/
 *   blobs/{etag}                 file contents, named by sha256 (LFS) or git blob sha1
 *   refs/{revision}              the commit sha of a branch or tag, 40 hex, no newline
 *   snapshots/{sha}/{path}       relative symlink to ../../blobs/{etag}
 * </pre>
 */
final class HubCache {
    private final Path repoDir;

    HubCache(Path hubCache, HubId id) { this.repoDir = hubCache.resolve(id.cacheFolderName()); }

    Path repoDir() { return repoDir; }

    Path blob(String etag) { return repoDir.resolve("blobs").resolve(etag); }

    /** Where a download is written until it is complete and verified; kept between runs to resume. */
    Path incomplete(String etag) { return repoDir.resolve("blobs").resolve(etag + ".incomplete"); }

    Path snapshotDir(String commit) { return repoDir.resolve("snapshots").resolve(commit); }

    Path snapshotFile(String commit, String file) { return HubPaths.under(snapshotDir(commit), file, "file name"); }

    /** The commit a revision stands for: itself when it is a sha, else what refs/ remembers. */
    Optional<String> commitFor(String revision) {
        if (HubId.isCommit(revision)) return Optional.of(revision);
        Path ref = HubPaths.under(repoDir.resolve("refs"), revision, "revision");
        try {
            if (!Files.isRegularFile(ref)) return Optional.empty();
            String sha = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return HubId.isCommit(sha) ? Optional.of(sha) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void writeRef(String revision, String commit) {
        if (revision.equals(commit)) return; // a pinned sha has no ref, as in huggingface_hub
        Path ref = HubPaths.under(repoDir.resolve("refs"), revision, "revision");
        if (commitFor(revision).filter(commit::equals).isPresent()) return;
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveIntoPlace(tmp, ref);
        } catch (IOException e) {
            throw new LortException("cannot write " + ref + " (" + e.getMessage() + "); check the cache folder's permissions");
        }
    }

    /** The etag of a snapshot file, read from its symlink's target; empty when it is not a link into blobs/. */
    Optional<String> etagOf(Path snapshotFile) {
        try {
            if (!Files.isSymbolicLink(snapshotFile)) return Optional.empty();
            Path target = Files.readSymbolicLink(snapshotFile);
            Path parent = target.getParent();
            return parent != null && parent.getFileName().toString().equals("blobs")
                    ? Optional.of(target.getFileName().toString()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Points snapshots/{commit}/{file} at blobs/{etag} with a relative link, replacing what was there. */
    void link(String commit, String file, String etag) {
        Path link = snapshotFile(commit, file);
        Path blob = blob(etag);
        try {
            Files.createDirectories(link.getParent());
            Path target = link.getParent().relativize(blob);
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) return;
            Files.deleteIfExists(link);
            try {
                Files.createSymbolicLink(link, target);
            } catch (UnsupportedOperationException | IOException noLinks) {
                Files.copy(blob, link); // file systems without symlinks: huggingface_hub copies too
            }
        } catch (IOException e) {
            throw new LortException("cannot link " + link + " to " + blob + " (" + e.getMessage() + ")");
        }
    }

    /**
     * Runs {@code action} holding {@code .locks/models--org--name/{etag}.lock}, the lock file
     * huggingface_hub uses, so that two LoRT processes never write one blob at once.
     */
    void withBlobLock(String etag, Runnable action) {
        Path lockFile = repoDir.getParent().resolve(".locks").resolve(repoDir.getFileName()).resolve(etag + ".lock");
        try {
            Files.createDirectories(lockFile.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.lock();
                try {
                    action.run();
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new LortException("cannot lock " + lockFile + " (" + e.getMessage() + "); check the cache folder's permissions");
        }
    }

    static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
