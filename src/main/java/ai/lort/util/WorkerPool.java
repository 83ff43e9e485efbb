package ai.lort.util;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that share one range of work (matrix rows, attention heads), started once
 * so the hot loop creates no threads or futures. A call cuts the range into a few chunks per thread;
 * the caller and the workers claim chunks from one counter, so when a worker is slow to wake (a
 * busy machine) the others simply take its share and the caller never waits for a sleeping thread.
 * Idle workers spin briefly (the next operation usually follows within microseconds), then park.
 */
public final class WorkerPool implements AutoCloseable {
    /** Work on {@code [from, to)}; {@code worker} in {@code [0, threads)} indexes per-thread scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int from, int to, int worker);
    }

    private static final int SPINS = 2_000;
    private static final int CHUNKS_PER_THREAD = 4;

    private final int threads;
    private final Thread[] workers;
    /** Generation (high 32 bits) and next unclaimed chunk (low 32 bits): a claim is valid only within its generation. */
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Task task;
    private volatile int size, chunks;
    /** Calls of {@link #run} that woke the workers (the hand-offs), for profiles. Written by the calling thread only. */
    private long handOffs;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1: " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 1; w < threads; w++) {
            int index = w;
            Thread t = new Thread(() -> loop(index), "lort-worker-" + w);
            t.setDaemon(true);
            workers[w - 1] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /** How many calls so far handed work to the workers (read by the thread that calls {@link #run}). */
    public long handOffs() { return handOffs; }

    /** Runs {@code task} over {@code [0, size)} split across the threads; returns when all of it is done. */
    public void run(int size, Task task) { run(size, threads * CHUNKS_PER_THREAD, task); }

    /**
     * As {@link #run(int, Task)}, cut into {@code parts} chunks (fewer, larger parts suit kernels
     * that pay a fixed cost per call, such as a compressed matrix's low-rank input).
     */
    public void run(int size, int parts, Task task) {
        if (threads == 1 || size < 2 || parts < 2) {
            task.run(0, size, 0);
            return;
        }
        handOffs++;
        int gen = generation + 1;
        // The claim counter moves to the new generation first: a worker still in the last run's
        // claim loop may have read its counter, but its claim (a compare-and-set on that value)
        // now fails, so it cannot take a chunk of this run, whose chunk count it might already see.
        claims.set((long) gen << 32);
        this.task = task;
        this.size = size;
        this.chunks = Math.min(size, parts);
        done.set(0);
        generation = gen;
        for (Thread w : workers) LockSupport.unpark(w);
        work(gen, 0);
        for (int spin = 0; done.get() != chunks; spin++) {
            if (spin < SPINS) Thread.onSpinWait();
            else Thread.yield();
        }
        this.task = null;
        Throwable f = failure;
        failure = null;
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    /** Claims and runs chunks of generation {@code gen} until none is left. */
    private void work(int gen, int worker) {
        while (true) {
            long c = claims.get();
            if ((int) (c >>> 32) != gen) return;
            int chunk = (int) c, n = chunks;
            if (chunk >= n) return;
            if (!claims.compareAndSet(c, c + 1)) continue;
            // The claimed chunk is not done, so the run of generation gen and its task are still current.
            long total = size;
            try {
                task.run((int) (total * chunk / n), (int) (total * (chunk + 1) / n), worker);
            } catch (Throwable t) {
                failure = t;
            }
            done.incrementAndGet();
        }
    }

    private void loop(int index) {
        int seen = 0;
        while (true) {
            for (int spin = 0; generation == seen && !closed; spin++) {
                if (spin < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            work(seen, index);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
