package ai.lort.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replays one-token steps as a CUDA graph, under the {@link ai.lort.engine.Backend} interface, which
 * knows nothing of graphs. At 0.5B parameters a step is ~500 small kernels and its time is mostly
 * launch overhead; a graph launches them all with one call.
 *
 * <p>How: every kernel argument of a one-token step is the same from one step to the next (the
 * position is read from device memory), so the launches of a step can be compared with the
 * previous step's. A step is recorded while it runs; when a step's launches equal the previous
 * step's, they are captured into a graph. From then on a step's launches are only checked against
 * the recording and held back, and at the end of the step ({@link #flush}: a read of the logits,
 * a synchronization, the next step) the graph runs instead. A launch that differs (another model
 * shape, a batch) runs what was held back, then itself, and drops the graph: never a wrong result,
 * at worst the eager speed.
 */
final class StepGraph implements KernelLauncher {
    private enum Mode { EAGER, RECORD, DEFER }

    /** One launch, with its arguments as values. */
    record Launch(String kernel, int gridX, int gridY, int block, int shared, KernelArgs.Kind[] kinds, long[] raw) {
        static Launch of(String kernel, int gridX, int gridY, int block, int shared, KernelArgs a) {
            KernelArgs.Kind[] kinds = new KernelArgs.Kind[a.count()];
            long[] raw = new long[a.count()];
            for (int i = 0; i < kinds.length; i++) {
                kinds[i] = a.kind(i);
                raw[i] = a.raw(i);
            }
            return new Launch(kernel, gridX, gridY, block, shared, kinds, raw);
        }

        boolean same(String kernel, int gridX, int gridY, int block, int shared, KernelArgs a) {
            if (!this.kernel.equals(kernel) || this.gridX != gridX || this.gridY != gridY || this.block != block
                    || this.shared != shared || kinds.length != a.count()) return false;
            for (int i = 0; i < kinds.length; i++) if (kinds[i] != a.kind(i) || raw[i] != a.raw(i)) return false;
            return true;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Launch l && kernel.equals(l.kernel) && gridX == l.gridX && gridY == l.gridY && block == l.block
                    && shared == l.shared && Arrays.equals(kinds, l.kinds) && Arrays.equals(raw, l.raw);
        }

        @Override
        public int hashCode() { return kernel.hashCode() * 31 + Arrays.hashCode(raw); }
    }

    private final GraphLauncher device;
    private final KernelArgs replayArgs;
    private boolean enabled;
    private Mode mode = Mode.EAGER;
    private List<Launch> previous = List.of();
    private final List<Launch> current = new ArrayList<>();
    private MemorySegment exec;
    private int cursor;
    private long kernelLaunches, graphLaunches;

    StepGraph(GraphLauncher device, Arena arena, boolean enabled) {
        this.device = device;
        this.replayArgs = new KernelArgs(arena);
        this.enabled = enabled;
    }

    /** Kernels launched one by one so far (replays included, captures not). */
    long kernelLaunches() { return kernelLaunches; }

    /** Graph launches so far, each standing for a whole step. */
    long graphLaunches() { return graphLaunches; }

    /** Whether the next matching step will run as a graph. */
    boolean hasGraph() { return exec != null; }

    /** A one-token step starts: what is pending runs, then this step is recorded or checked. */
    void beginStep() {
        flush();
        if (!enabled) return;
        current.clear();
        cursor = 0;
        mode = exec != null ? Mode.DEFER : Mode.RECORD;
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int block, int shared, KernelArgs args) {
        switch (mode) {
            case EAGER -> run(kernel, gridX, gridY, block, shared, args);
            case RECORD -> {
                run(kernel, gridX, gridY, block, shared, args);
                current.add(Launch.of(kernel, gridX, gridY, block, shared, args));
            }
            case DEFER -> {
                if (cursor < previous.size() && previous.get(cursor).same(kernel, gridX, gridY, block, shared, args)) {
                    cursor++;
                    return;
                }
                // This step differs from the graph: run what was held back and carry on recording.
                replay(previous, cursor);
                current.addAll(previous.subList(0, cursor));
                run(kernel, gridX, gridY, block, shared, args);
                current.add(Launch.of(kernel, gridX, gridY, block, shared, args));
                dropGraph();
                mode = Mode.RECORD;
            }
        }
    }

    /**
     * The host is about to write device memory at {@code pointer} (the position): launches held back
     * that read it must run first, with the old value, so they are run now, the graph dropped, and
     * graphs turned off (a caller that writes in the middle of its steps would break every graph).
     */
    void beforeWrite(long pointer) {
        if (mode != Mode.DEFER) return;
        for (int i = 0; i < cursor; i++) {
            Launch l = previous.get(i);
            for (int a = 0; a < l.kinds.length; a++) {
                if (l.kinds[a] == KernelArgs.Kind.POINTER && l.raw[a] == pointer) {
                    replay(previous, cursor);
                    dropGraph();
                    enabled = false;
                    mode = Mode.EAGER;
                    return;
                }
            }
        }
    }

    /** The end of a step (or of an eager stretch): every launch asked for so far is queued on the stream. */
    void flush() {
        switch (mode) {
            case DEFER -> {
                if (cursor == previous.size()) {
                    device.launchGraph(exec);
                    graphLaunches++;
                } else {  // the step ended early: run its launches, forget the graph
                    replay(previous, cursor);
                    dropGraph();
                    previous = List.of();
                }
            }
            case RECORD -> {
                if (!current.isEmpty() && current.equals(previous)) {
                    List<Launch> steps = List.copyOf(current);
                    exec = device.capture(() -> steps.forEach(this::queue));
                }
                previous = List.copyOf(current);
            }
            case EAGER -> { }
        }
        mode = Mode.EAGER;
    }

    /** Drops the graph (closing the backend). */
    void close() {
        flush();
        dropGraph();
    }

    private void dropGraph() {
        if (exec != null) device.destroyGraph(exec);
        exec = null;
    }

    private void replay(List<Launch> launches, int count) {
        for (int i = 0; i < count; i++) {
            queue(launches.get(i));
            kernelLaunches++;
        }
    }

    private void queue(Launch l) {
        device.launch(l.kernel, l.gridX, l.gridY, l.block, l.shared, replayArgs.set(l.kinds, l.raw));
    }

    private void run(String kernel, int gridX, int gridY, int block, int shared, KernelArgs args) {
        device.launch(kernel, gridX, gridY, block, shared, args);
        kernelLaunches++;
    }
}
