package ai.lort.engine.cuda;

import java.lang.foreign.MemorySegment;

/** A {@link KernelLauncher} that can also record launches into a CUDA graph and replay it ({@link CudaDevice}). */
public interface GraphLauncher extends KernelLauncher {
    /** Runs {@code launches} under stream capture and returns the instantiated graph ({@code CUgraphExec}). */
    MemorySegment capture(Runnable launches);

    void launchGraph(MemorySegment exec);

    void destroyGraph(MemorySegment exec);
}
