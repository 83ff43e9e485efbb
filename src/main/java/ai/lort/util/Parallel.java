package ai.lort.util;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Work split over a shared pool of threads (one per core, created on first use), the calling
 * thread being one of the workers. For the compressor's bulk steps (products, rotations,
 * reconstructions); the inference engine has its own spinning pool.
 */
public final class Parallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    private Parallel() {}

    /**
     * Runs {@code worker} on {@code copies} threads, the caller being one of them, and waits for
     * all; the first exception a copy throws reaches the caller.
     */
    public static void run(Runnable worker, int copies) {
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[Math.max(0, copies - 1)];
        for (int i = 0; i < helpers.length; i++) helpers[i] = POOL.submit(worker);
        try {
            worker.run();
        } finally {
            for (ForkJoinTask<?> h : helpers) h.join();
        }
    }

    /** A range {@code [from, to)} of indices. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /**
     * {@code body.run(from, to)} over {@code [0, count)} in ranges of {@code grain} indices (the
     * last one shorter), on up to {@code threads} threads that claim one range at a time (so a late
     * or slow thread only finds fewer left). A range can set up scratch once for its indices. The
     * ranges must be independent of each other.
     */
    public static void forRanges(int count, int grain, int threads, Range body) {
        int size = Math.max(1, grain), ranges = (count + size - 1) / size;
        if (threads <= 1 || ranges <= 1) {
            for (int from = 0; from < count; from += size) body.run(from, Math.min(count, from + size));
            return;
        }
        AtomicInteger next = new AtomicInteger();
        run(() -> {
            for (int c; (c = next.getAndIncrement()) < ranges; ) body.run(c * size, Math.min(count, c * size + size));
        }, Math.min(threads, ranges));
    }

    /** {@code body.accept(i)} for every i in {@code [0, count)}, as {@link #forRanges}. */
    public static void forEach(int count, int grain, int threads, IntConsumer body) {
        forRanges(count, grain, threads, (from, to) -> {
            for (int i = from; i < to; i++) body.accept(i);
        });
    }
}
