package ai.lort.hub;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * How hard a download tries: attempts per file, the first back-off (doubled each retry), how long
 * a connection may send nothing before it is dropped and resumed. Tests shrink the delays.
 */
record DownloadPolicy(int attempts, Duration firstBackoff, Consumer<Duration> sleeper, Duration stallTimeout) {
    static final DownloadPolicy DEFAULT = new DownloadPolicy(5, Duration.ofSeconds(1), DownloadPolicy::sleep, Duration.ofSeconds(60));

    Duration backoffBefore(int attempt) { return firstBackoff.multipliedBy(1L << (attempt - 2)); }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ai.lort.LortException("interrupted");
        }
    }
}
