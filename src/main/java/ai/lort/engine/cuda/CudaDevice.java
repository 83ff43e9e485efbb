package ai.lort.engine.cuda;

import ai.lort.LortException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * One GPU ready to run LoRT's kernels: its primary context, one non-blocking stream on which every
 * launch and copy is queued in order, and the kernel module JIT-compiled from {@link KernelPtx}.
 * Not thread-safe: one forward pass drives it (the context is made current on the constructing
 * thread; {@link #makeCurrent} binds it to another).
 */
public final class CudaDevice implements Gpu {
    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    private final CudaDriver driver;
    private final int device;
    private final MemorySegment context, stream, module;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Map<String, Integer> sharedGranted = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final CudaKernels kernels;
    private final String description;
    private long launches;
    private boolean closed;

    /** Opens GPU {@code ordinal}; throws {@link LortException} when CUDA is unusable. */
    public CudaDevice(int ordinal) {
        driver = CudaDriver.get();
        int count = driver.deviceCount();
        if (ordinal < 0 || ordinal >= count) throw new LortException("no CUDA device " + ordinal + " (this machine has " + count + ")");
        device = driver.device(ordinal);
        context = driver.retainPrimaryContext(device);
        driver.setCurrent(context);
        stream = driver.createStream();
        module = driver.loadModule(arena.allocateFrom(KernelPtx.load()));
        kernels = new CudaKernels(this, arena);
        description = driver.deviceName(device) + " (compute " + driver.attribute(CudaDriver.ATTR_CC_MAJOR, device) + "."
                + driver.attribute(CudaDriver.ATTR_CC_MINOR, device) + ", " + driver.attribute(CudaDriver.ATTR_MULTIPROCESSORS, device)
                + " SMs, driver " + driver.driverVersion() + ")";
    }

    public CudaDriver driver() { return driver; }

    public CudaKernels kernels() { return kernels; }

    /** Name, compute capability, SM count and driver version, for logs. */
    @Override
    public String description() { return description; }

    /** Peak memory bandwidth from the clock and bus width, bytes/s (DDR: two transfers a clock). */
    public double peakBandwidth() {
        return 2.0 * driver.attribute(CudaDriver.ATTR_MEMORY_CLOCK_KHZ, device) * 1e3
                * driver.attribute(CudaDriver.ATTR_MEMORY_BUS_BITS, device) / 8;
    }

    /** Kernel launches so far (launch overhead reports). */
    public long launches() { return launches; }

    public void makeCurrent() { driver.setCurrent(context); }

    @Override
    public void launch(String kernel, int gridX, int gridY, int block, int sharedBytes, KernelArgs args) {
        MemorySegment f = function(kernel);
        if (sharedBytes > DEFAULT_SHARED_LIMIT) grantShared(kernel, f, sharedBytes);
        driver.launch(f, gridX, gridY, block, sharedBytes, stream, args.pointers(), kernel);
        launches++;
    }

    @Override
    public MemorySegment capture(Runnable launches) {
        driver.beginCapture(stream);
        try {
            launches.run();
        } catch (RuntimeException e) {
            try {
                driver.destroyGraph(driver.endCapture(stream));
            } catch (RuntimeException ignored) {
                // the capture is already invalid; the first error is the one to report
            }
            throw e;
        }
        return driver.endCapture(stream);
    }

    @Override
    public void launchGraph(MemorySegment exec) { driver.launchGraph(exec, stream); }

    @Override
    public void destroyGraph(MemorySegment exec) { driver.destroyGraph(exec); }

    private MemorySegment function(String kernel) {
        MemorySegment f = functions.get(kernel);
        if (f == null) {
            f = driver.function(module, kernel);
            functions.put(kernel, f);
        }
        return f;
    }

    private void grantShared(String kernel, MemorySegment f, int bytes) {
        if (sharedGranted.getOrDefault(kernel, DEFAULT_SHARED_LIMIT) >= bytes) return;
        int max = driver.attribute(CudaDriver.ATTR_MAX_SHARED_OPTIN, device);
        if (bytes > max)
            throw new LortException("the context is too long for this GPU's attention kernel (" + bytes + " bytes of shared memory, at most " + max + "); give a smaller --ctx");
        driver.setMaxDynamicShared(f, bytes);
        sharedGranted.put(kernel, bytes);
    }

    /** Device memory, zeroed. */
    @Override
    public long alloc(long bytes) {
        long p = driver.alloc(bytes);
        driver.zero(p, bytes, stream);
        return p;
    }

    /** Copies host memory to a new device allocation. */
    @Override
    public long upload(MemorySegment host) {
        long p = driver.alloc(host.byteSize());
        if (host.isNative()) {
            driver.copyToDevice(p, host, host.byteSize(), stream);
        } else {
            // the driver takes addresses: a heap segment (a tensor quantized in memory) goes through native memory
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment staged = a.allocate(host.byteSize(), 16);
                staged.copyFrom(host);
                driver.copyToDevice(p, staged, host.byteSize(), stream);  // pageable: staged is free to go on return
            }
        }
        return p;
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) { driver.copyToDevice(dst, src, bytes, stream); }

    /** Copies device memory to the host, waiting for the stream (and so for every queued kernel). */
    @Override
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        driver.copyToHost(dst, src, bytes, stream);
        driver.synchronize(stream);
    }

    @Override
    public void free(long pointer) { driver.free(pointer); }

    @Override
    public void synchronize() { driver.synchronize(stream); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        driver.synchronize(stream);
        // The primary context's release frees the module, the stream and any memory still held.
        driver.releasePrimaryContext(device);
        arena.close();
    }
}
