package ai.lort.hub;

import ai.lort.LortException;
import ai.lort.util.ProgressBar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Downloads one file into {@code blobs/{etag}.incomplete}, resuming with {@code Range} after a
 * dropped connection, checks its size (and sha256 for LFS files), and renames it into place.
 * The partial file is kept when retries run out, so the next run continues where this one stopped.
 */
final class BlobDownloader {
    /** What the hub said about a file before we fetched it. */
    record Expected(long size, String sha256OrNull) {}

    private final HubHttp http;
    private final DownloadPolicy policy;
    private final boolean quiet;
    private final PrintStream log;

    BlobDownloader(HubHttp http, DownloadPolicy policy, boolean quiet, PrintStream log) {
        this.http = http;
        this.policy = policy;
        this.quiet = quiet;
        this.log = log;
    }

    void download(URI uri, String label, Expected expected, Path incomplete, Path blob) {
        try {
            Files.createDirectories(incomplete.getParent());
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long have = resumeFrom(incomplete, expected.size(), sha256);
            ProgressBar bar = new ProgressBar(log, label, expected.size(), true, quiet ? ProgressBar.Style.OFF : ProgressBar.style());
            IOException last = null;
            for (int attempt = 1; have < expected.size() && attempt <= policy.attempts(); attempt++) {
                if (attempt > 1) policy.sleeper().accept(policy.backoffBefore(attempt));
                try {
                    have = fetch(uri, label, expected.size(), incomplete, have, sha256, bar);
                } catch (IOException e) {
                    last = e;
                    sha256.reset(); // re-read what reached the disk, so file and digest agree
                    have = resumeFrom(incomplete, expected.size(), sha256);
                }
            }
            if (have < expected.size())
                throw new LortException("download of " + label + " failed after " + policy.attempts() + " attempts ("
                        + describe(last) + "); " + ProgressBar.formatBytes(have)
                        + " are kept, run again to resume");
            if (!Files.exists(incomplete)) Files.createFile(incomplete); // an empty file needs no request
            bar.finish(have);
            verify(label, expected, incomplete, have, sha256);
            HubCache.moveIntoPlace(incomplete, blob);
        } catch (IOException e) {
            throw new LortException("cannot write " + incomplete + " (" + e.getMessage() + "); check free disk space and permissions");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    private static String describe(IOException e) {
        if (e == null) return "connection closed";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Bytes already on disk from an earlier try, fed to the digest; a file too long is started over. */
    private static long resumeFrom(Path incomplete, long size, MessageDigest sha256) throws IOException {
        if (!Files.exists(incomplete)) return 0;
        if (Files.size(incomplete) > size) {
            Files.delete(incomplete);
            return 0;
        }
        try (InputStream in = Files.newInputStream(incomplete)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; total += n) sha256.update(buf, 0, n);
            return total;
        }
    }

    /** One request: appends what arrives and returns the bytes on disk; IOException when cut short. */
    private long fetch(URI uri, String label, long size, Path incomplete, long have, MessageDigest sha256, ProgressBar bar)
            throws IOException {
        HttpResponse<InputStream> response = http.openStream(uri, have);
        int status = response.statusCode();
        boolean append = status == 206 && have > 0;
        if (status == 416 || (status != 200 && status != 206)) {
            response.body().close();
            if (status == 416) { // our partial file does not fit the server's: start over
                Files.deleteIfExists(incomplete);
                sha256.reset();
                throw new IOException("server refused to resume (HTTP 416)");
            }
            if (status >= 500) throw new IOException("HTTP " + status);
            throw new LortException("download of " + label + " failed: HTTP " + status + " from " + uri.getHost() + "; run again to resume");
        }
        if (!append) { // a 200 is the whole file again
            sha256.reset();
            have = 0;
        }
        try (InputStream in = response.body();
             StallGuard guard = new StallGuard(in, policy.stallTimeout());
             OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = readUnlessStalled(in, buf, guard)) > 0; ) {
                guard.progress();
                if (have + n > size) {
                    Files.deleteIfExists(incomplete);
                    throw new LortException("download of " + label + " is longer than the " + size + " bytes announced; the server or a proxy is broken");
                }
                out.write(buf, 0, n);
                sha256.update(buf, 0, n);
                have += n;
                bar.update(have);
            }
        }
        if (have < size) throw new IOException("connection closed after " + have + " of " + size + " bytes");
        return have;
    }

    /** A read that reports a stall as such, rather than as an early end or a closed stream. */
    private int readUnlessStalled(InputStream in, byte[] buf, StallGuard guard) throws IOException {
        int n;
        try {
            n = in.read(buf);
        } catch (IOException e) {
            if (!guard.stalled()) throw e;
            n = -1;
        }
        if (guard.stalled()) throw new IOException("no data for " + policy.stallTimeout().toMillis() + " ms");
        return n;
    }

    private static void verify(String label, Expected expected, Path incomplete, long have, MessageDigest sha256) throws IOException {
        String problem = null;
        if (have != expected.size()) problem = "size " + have + " instead of " + expected.size();
        else if (expected.sha256OrNull() != null) {
            String actual = HexFormat.of().formatHex(sha256.digest());
            if (!actual.equalsIgnoreCase(expected.sha256OrNull())) problem = "sha256 " + actual + " instead of " + expected.sha256OrNull();
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new LortException("download of " + label + " is corrupt (" + problem + "); it was deleted, run again to retry");
        }
    }
}
