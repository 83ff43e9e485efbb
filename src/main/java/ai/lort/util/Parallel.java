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

    /**
     * {@code body.accept(i)} for every i in {@code [0, count)}, on up to {@code threads} threads
     * that claim {@code grain} consecutive indices at a time (so a late or slow thread only
     * finds fewer left). The calls must be independent of each other.
     */
    public static void forEach(int count, int grain, int threads, IntConsumer body) {
        int chunks = (count + grain - 1) / Math.max(1, grain);
        if (threads <= 1 || chunks <= 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        run(() -> {
            for (int c; (c = next.getAndIncrement()) < chunks; )
                for (int i = c * grain, end = Math.min(count, i + grain); i < end; i++) body.accept(i);
        }, Math.min(threads, chunks));
    }
}
