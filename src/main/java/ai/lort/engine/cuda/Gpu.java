package ai.lort.engine.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What {@link CudaBackend} needs of a GPU: device memory, copies in stream order, kernel launches
 * and graphs. {@link CudaDevice} is the real one; tests run the backend on a Java emulation of the
 * kernels, so that its buffer arithmetic and launches are checked where no GPU is.
 */
public interface Gpu extends GraphLauncher, AutoCloseable {
    /** For logs: name, compute capability, driver. */
    String description();

    /** Device memory of {@code bytes}, zeroed, aligned to 256 bytes at least. */
    long alloc(long bytes);

    /** A new allocation holding a copy of {@code host}. */
    long upload(MemorySegment host);

    /** Queues a copy to the device; {@code src} may be reused when this returns. */
    void copyToDevice(long dst, MemorySegment src, long bytes);

    /** Copies to the host once every queued launch has run. */
    void copyToHost(MemorySegment dst, long src, long bytes);

    void free(long pointer);

    /** Waits for every queued launch and copy. */
    void synchronize();

    @Override
    void close();
}
