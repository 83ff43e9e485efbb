package ai.lort.run;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split one range of work (matrix rows, attention heads) into equal
 * contiguous parts, one per thread, the caller taking part 0. Started once; a call hands the task
 * over through a volatile generation counter, so the hot loop creates no threads and no futures.
 * Idle workers spin briefly (the next operation usually follows within microseconds) and then park.
 */
public final class WorkerPool implements AutoCloseable {
    /** Work on {@code [from, to)}; {@code worker} in {@code [0, threads)} indexes per-thread scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int from, int to, int worker);
    }

    private static final int SPINS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private Task task;
    private int size;
    private Thread caller;

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

    /** Runs {@code task} over {@code [0, size)} split across the threads; returns when all parts are done. */
    public void run(int size, Task task) {
        if (threads == 1 || size < 2) {
            task.run(0, size, 0);
            return;
        }
        this.task = task;
        this.size = size;
        this.caller = Thread.currentThread();
        pending.set(threads - 1);
        generation++; // publishes task and size to the workers
        for (Thread w : workers) LockSupport.unpark(w);
        Throwable own = null;
        try {
            task.run(0, size / threads, 0);
        } catch (Throwable t) {
            own = t;
        }
        for (int spin = 0; pending.get() != 0; spin++) {
            if (spin < SPINS) Thread.onSpinWait();
            else LockSupport.park(this);
        }
        this.task = null;
        Throwable f = own != null ? own : failure;
        failure = null;
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
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
            try {
                long n = size;
                task.run((int) (n * index / threads), (int) (n * (index + 1) / threads), index);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
