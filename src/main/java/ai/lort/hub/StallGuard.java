package ai.lort.hub;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a download stream that has received nothing for too long. HttpClient has no read
 * timeout once the headers are in, so a stalled connection would otherwise hang the download
 * forever; closed, it ends the read, and the download resumes with a Range request.
 */
final class StallGuard implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lort-download-stall-guard");
        t.setDaemon(true);
        return t;
    });

    private final InputStream stream;
    private final long timeoutNanos;
    private final ScheduledFuture<?> check;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean stalled;

    StallGuard(InputStream stream, Duration timeout) {
        this.stream = stream;
        this.timeoutNanos = timeout.toNanos();
        long period = Math.max(10, timeout.toMillis() / 4);
        this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    void progress() { lastProgress = System.nanoTime(); }

    boolean stalled() { return stalled; }

    private void check() {
        if (stalled || System.nanoTime() - lastProgress < timeoutNanos) return;
        stalled = true;
        try {
            stream.close();
        } catch (IOException ignored) {
            // closing is all we want; the reader sees the end of the stream
        }
    }

    @Override
    public void close() { check.cancel(false); }
}
