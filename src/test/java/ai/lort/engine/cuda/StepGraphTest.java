package ai.lort.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The graph replay logic of {@link StepGraph}, against a fake device that logs what reaches the GPU. */
class StepGraphTest {
    /** Logs "kernel(args)" for launches, "capture[...]" for captured ones, "graph" for graph launches. */
    static final class FakeDevice implements GraphLauncher {
        final List<String> log = new ArrayList<>();
        private List<String> capturing;
        int graphsAlive;

        @Override
        public void launch(String kernel, int gridX, int gridY, int block, int shared, KernelArgs args) {
            StringBuilder s = new StringBuilder(kernel).append('(');
            for (int i = 0; i < args.count(); i++) s.append(i > 0 ? "," : "").append(args.raw(i));
            (capturing != null ? capturing : log).add(s.append(')').toString());
        }

        @Override
        public MemorySegment capture(Runnable launches) {
            capturing = new ArrayList<>();
            launches.run();
            log.add("capture" + capturing);
            capturing = null;
            graphsAlive++;
            return MemorySegment.ofAddress(0x1000);
        }

        @Override
        public void launchGraph(MemorySegment exec) { log.add("graph"); }

        @Override
        public void destroyGraph(MemorySegment exec) { graphsAlive--; }
    }

    private final FakeDevice device = new FakeDevice();
    private final Arena arena = Arena.ofAuto();

    private void step(StepGraph g, KernelArgs a, int... values) {
        g.beginStep();
        for (int v : values) g.launch("k" + v, 1, 1, 32, 0, a.clear().i32(v));
        g.flush();
    }

    @Test
    void identicalStepsRunAsOneGraphFromTheThird() {
        StepGraph g = new StepGraph(device, arena, true);
        KernelArgs a = new KernelArgs(arena);
        step(g, a, 1, 2, 3);  // recorded
        step(g, a, 1, 2, 3);  // equal to the previous: captured after running
        step(g, a, 1, 2, 3);  // the graph
        step(g, a, 1, 2, 3);
        assertThat(device.log).containsExactly("k1(1)", "k2(2)", "k3(3)", "k1(1)", "k2(2)", "k3(3)",
                "capture[k1(1), k2(2), k3(3)]", "graph", "graph");
        assertThat(g.graphLaunches()).isEqualTo(2);
        assertThat(g.kernelLaunches()).isEqualTo(6);
    }

    @Test
    void aDifferingLaunchRunsWhatWasHeldBackInOrderAndDropsTheGraph() {
        StepGraph g = new StepGraph(device, arena, true);
        KernelArgs a = new KernelArgs(arena);
        step(g, a, 1, 2, 3);
        step(g, a, 1, 2, 3);
        device.log.clear();
        step(g, a, 1, 5, 3);
        assertThat(device.log).containsExactly("k1(1)", "k5(5)", "k3(3)");
        assertThat(g.hasGraph()).isFalse();
        assertThat(device.graphsAlive).isZero();
        device.log.clear();
        step(g, a, 1, 5, 3);  // equal to the step before: a new graph
        step(g, a, 1, 5, 3);
        assertThat(device.log).containsExactly("k1(1)", "k5(5)", "k3(3)", "capture[k1(1), k5(5), k3(3)]", "graph");
    }

    @Test
    void aShorterStepRunsItsLaunchesAndALongerOneRunsTheRest() {
        StepGraph g = new StepGraph(device, arena, true);
        KernelArgs a = new KernelArgs(arena);
        step(g, a, 1, 2);
        step(g, a, 1, 2);
        device.log.clear();
        step(g, a, 1);  // ends early
        assertThat(device.log).containsExactly("k1(1)");
        step(g, a, 1);
        step(g, a, 1);
        device.log.clear();
        step(g, a, 1, 2);  // longer than the graph
        assertThat(device.log).containsExactly("k1(1)", "k2(2)");
        assertThat(g.hasGraph()).isFalse();
    }

    @Test
    void aWriteToMemoryThatHeldBackLaunchesReadRunsThemFirst() {
        StepGraph g = new StepGraph(device, arena, true);
        KernelArgs a = new KernelArgs(arena);
        for (int s = 0; s < 3; s++) {
            g.beginStep();
            g.launch("read", 1, 1, 32, 0, a.clear().ptr(77));
            g.beforeWrite(77);  // e.g. the position, written once a step after a reader: not the usual order
            g.launch("after", 1, 1, 32, 0, a.clear().ptr(77));
            g.flush();
        }
        // the third step had a graph; the write made the held-back reader run before it, eagerly, and turned graphs off
        assertThat(device.log.subList(device.log.size() - 2, device.log.size())).containsExactly("read(77)", "after(77)");
        assertThat(g.hasGraph()).isFalse();
        assertThat(device.graphsAlive).isZero();
        device.log.clear();
        g.beginStep();
        g.launch("other", 1, 1, 32, 0, a.clear().ptr(5));
        g.beforeWrite(77);  // nothing held back reads 77: no effect
        g.flush();
        assertThat(device.log).containsExactly("other(5)");
    }

    @Test
    void launchesOutsideStepsAndWithGraphsOffRunAtOnce() {
        StepGraph off = new StepGraph(device, arena, false);
        KernelArgs a = new KernelArgs(arena);
        for (int i = 0; i < 3; i++) step(off, a, 1, 2);
        assertThat(device.log).hasSize(6).doesNotContain("graph");
        device.log.clear();
        StepGraph on = new StepGraph(device, arena, true);
        on.launch("k9", 1, 1, 32, 0, a.clear().i32(9));  // a batch: no beginStep
        assertThat(device.log).containsExactly("k9(9)");
    }

    @Test
    void replayedArgumentsKeepTheirKinds() {
        KernelArgs a = new KernelArgs(arena).ptr(1L << 40).i32(-7).f32(0.5f);
        StepGraph.Launch l = StepGraph.Launch.of("k", 1, 1, 32, 0, a);
        KernelArgs b = new KernelArgs(arena).set(l.kinds(), l.raw());
        assertThat(b.count()).isEqualTo(3);
        assertThat(b.raw(0)).isEqualTo(1L << 40);
        assertThat((int) b.raw(1)).isEqualTo(-7);
        assertThat(Float.intBitsToFloat((int) b.raw(2))).isEqualTo(0.5f);
        assertThat(b.kind(2)).isEqualTo(KernelArgs.Kind.FLOAT);
    }
}
