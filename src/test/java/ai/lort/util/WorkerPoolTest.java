package ai.lort.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a lost or extra chunk shows as a hang, which only a separate thread can end
class WorkerPoolTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int size : new int[] {0, 1, 2, 7, 64, 1001}) {
                    for (int round = 0; round < 20; round++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(size);
                        int parts = round % 3 == 0 ? threads : size + 3; // one part per thread, and more parts than items
                        WorkerPool.Task task = (from, to, worker) -> {
                            assertThat(worker).isBetween(0, threads - 1);
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        };
                        if (round % 2 == 0) pool.run(size, task); else pool.run(size, parts, task);
                        for (int i = 0; i < size; i++) assertThat(hits.get(i)).isEqualTo(1);
                    }
                }
            }
        }
    }

    /** Only runs that wake the workers count as hand-offs: one thread, one item or one part run on the caller. */
    @Test
    void handOffsCountTheRunsGivenToTheWorkers() {
        WorkerPool.Task nothing = (from, to, worker) -> {};
        try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
            one.run(100, nothing);
            assertThat(one.handOffs()).isZero();
            two.run(1, nothing);
            two.run(100, 1, nothing);
            assertThat(two.handOffs()).isZero();
            two.run(100, nothing);
            two.run(100, 2, nothing);
            assertThat(two.handOffs()).isEqualTo(2);
        }
    }

    /**
     * Many short runs whose chunk counts alternate, few and many: a worker still in one run's claim
     * loop when the next run starts must not claim, run or count a chunk of it. (It once could: it
     * read the old claim counter, then the new run's larger chunk count, and its claim went
     * through; the extra count made the caller wait forever, or return with a chunk not done.)
     */
    @Test
    void aLateWorkerNeverTakesPartInTheNextRun() {
        int size = 64;
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 200_000; round++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(size);
                pool.run(size, round % 2 == 0 ? 2 : size, (from, to, worker) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < size; i++) if (hits.get(i) != 1) assertThat(hits.get(i)).as("round %d, index %d", round, i).isEqualTo(1);
            }
        }
    }

    @Test
    void aWorkersFailureReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            assertThatThrownBy(() -> pool.run(30, (from, to, worker) -> { if (from <= 15 && 15 < to) throw new IllegalStateException("boom"); }))
                    .hasMessage("boom");
            int[] sum = new int[1];
            pool.run(1, (from, to, worker) -> sum[0] += to - from); // still usable
            assertThat(sum[0]).isEqualTo(1);
        }
    }
}
