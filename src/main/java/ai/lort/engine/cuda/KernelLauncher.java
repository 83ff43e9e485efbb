package ai.lort.engine.cuda;

/**
 * Where {@link CudaKernels} sends its launches: the GPU ({@link CudaDevice}) or, in tests, a recorder
 * that checks each launch against the PTX signatures without a GPU. Blocks are 1-D.
 */
public interface KernelLauncher {
    void launch(String kernel, int gridX, int gridY, int block, int sharedBytes, KernelArgs args);
}
