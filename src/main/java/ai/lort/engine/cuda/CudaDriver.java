package ai.lort.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ai.lort.LortException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API through FFM: {@code libcuda.so.1}, which every NVIDIA driver installs, so LoRT
 * needs no JNI, no native library of its own and no CUDA toolkit at run time. Only the calls LoRT
 * uses are bound, under their exported names (the {@code _v2} ones where {@code cuda.h} renames a
 * call to its {@code _v2}). Every call is checked; a failure throws {@link CudaException} naming the
 * call and the driver's error name ({@code cuGetErrorName}).
 */
public final class CudaDriver {
    static final int ATTR_MULTIPROCESSORS = 16;
    static final int ATTR_MEMORY_CLOCK_KHZ = 36;
    static final int ATTR_MEMORY_BUS_BITS = 37;
    static final int ATTR_CC_MAJOR = 75;
    static final int ATTR_CC_MINOR = 76;
    static final int ATTR_MAX_SHARED_OPTIN = 97;
    private static final int FUNC_MAX_DYNAMIC_SHARED = 8;
    private static final int STREAM_NON_BLOCKING = 1;
    /** CU_STREAM_CAPTURE_MODE_RELAXED: no other thread's CUDA calls are policed during a capture. */
    private static final int CAPTURE_RELAXED = 2;

    private static final Object LOCK = new Object();
    private static CudaDriver instance;
    private static LortException failure;

    private final MethodHandle cuInit, cuDriverGetVersion, cuGetErrorName, cuDeviceGetCount, cuDeviceGet,
            cuDeviceGetName, cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuModuleLoadData, cuModuleGetFunction, cuFuncSetAttribute, cuMemAlloc, cuMemFree,
            cuMemGetInfo, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemsetD8Async, cuStreamCreate, cuStreamSynchronize,
            cuLaunchKernel, cuStreamBeginCapture, cuStreamEndCapture, cuGraphInstantiate, cuGraphLaunch, cuGraphDestroy,
            cuGraphExecDestroy;

    private CudaDriver(SymbolLookup lib) {
        cuInit = bind(lib, "cuInit", JAVA_INT);
        cuDriverGetVersion = bind(lib, "cuDriverGetVersion", ADDRESS);
        cuGetErrorName = bind(lib, "cuGetErrorName", JAVA_INT, ADDRESS);
        cuDeviceGetCount = bind(lib, "cuDeviceGetCount", ADDRESS);
        cuDeviceGet = bind(lib, "cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = bind(lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = bind(lib, "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = bind(lib, "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = bind(lib, "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = bind(lib, "cuCtxSetCurrent", ADDRESS);
        cuModuleLoadData = bind(lib, "cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleGetFunction = bind(lib, "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuFuncSetAttribute = bind(lib, "cuFuncSetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuMemAlloc = bind(lib, "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = bind(lib, "cuMemFree_v2", JAVA_LONG);
        cuMemGetInfo = bind(lib, "cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuMemcpyHtoDAsync = bind(lib, "cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = bind(lib, "cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD8Async = bind(lib, "cuMemsetD8Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        cuStreamCreate = bind(lib, "cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamSynchronize = bind(lib, "cuStreamSynchronize", ADDRESS);
        cuLaunchKernel = bind(lib, "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        cuStreamBeginCapture = bind(lib, "cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
        cuStreamEndCapture = bind(lib, "cuStreamEndCapture", ADDRESS, ADDRESS);
        cuGraphInstantiate = bind(lib, "cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
        cuGraphLaunch = bind(lib, "cuGraphLaunch", ADDRESS, ADDRESS);
        cuGraphDestroy = bind(lib, "cuGraphDestroy", ADDRESS);
        cuGraphExecDestroy = bind(lib, "cuGraphExecDestroy", ADDRESS);
    }

    private static MethodHandle bind(SymbolLookup lib, String name, MemoryLayout... args) {
        MemorySegment fn = lib.find(name).orElseThrow(
                () -> new LortException("the NVIDIA driver's libcuda.so.1 lacks " + name + "; update the driver"));
        return Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(JAVA_INT, args));
    }

    /**
     * The driver, loaded and initialised ({@code cuInit}) once per process.
     *
     * @throws LortException why CUDA is unusable here (no driver library, no device, ...); the same
     *                       exception on every later call
     */
    public static CudaDriver get() {
        synchronized (LOCK) {
            if (instance == null && failure == null) {
                try {
                    instance = load();
                } catch (LortException e) {
                    failure = e;
                }
            }
            if (failure != null) throw failure;
            return instance;
        }
    }

    private static CudaDriver load() {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new LortException("no NVIDIA driver here (libcuda.so.1 cannot be loaded)");
        }
        CudaDriver d = new CudaDriver(lib);
        d.check(call(d.cuInit, 0), "cuInit");
        if (d.deviceCount() == 0) throw new LortException("the NVIDIA driver sees no GPU (cuDeviceGetCount = 0)");
        return d;
    }

    // ---- error handling ----------------------------------------------------------------------

    /** The driver's name for a {@code CUresult}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if (call(cuGetErrorName, code, out) != 0) return "CUresult " + code;
            return out.get(ADDRESS, 0).reinterpret(256).getString(0);
        }
    }

    void check(int result, String call) {
        if (result != 0) throw new CudaException("CUDA " + call + " failed: " + errorName(result) + " (" + result + ")", result);
    }

    /** Invokes a bound call; the driver's C ABI cannot throw, so any Throwable is a binding bug. */
    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("FFM call failed: " + t, t);
        }
    }

    // ---- devices and contexts ----------------------------------------------------------------

    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(call(cuDriverGetVersion, v), "cuDriverGetVersion");
            return v.get(JAVA_INT, 0);
        }
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(call(cuDeviceGetCount, n), "cuDeviceGetCount");
            return n.get(JAVA_INT, 0);
        }
    }

    /** The {@code CUdevice} of an ordinal. */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check(call(cuDeviceGet, d, ordinal), "cuDeviceGet");
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            check(call(cuDeviceGetName, name, 256, device), "cuDeviceGetName");
            return name.getString(0);
        }
    }

    public int attribute(int attribute, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(call(cuDeviceGetAttribute, v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(JAVA_INT, 0);
        }
    }

    /** Retains the device's primary context (the one the runtime API would share). */
    public MemorySegment retainPrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(ADDRESS);
            check(call(cuDevicePrimaryCtxRetain, ctx, device), "cuDevicePrimaryCtxRetain");
            return ctx.get(ADDRESS, 0);
        }
    }

    public void releasePrimaryContext(int device) {
        check(call(cuDevicePrimaryCtxRelease, device), "cuDevicePrimaryCtxRelease_v2");
    }

    /** Binds a context to the calling thread (CUDA contexts are current per thread). */
    public void setCurrent(MemorySegment context) { check(call(cuCtxSetCurrent, context), "cuCtxSetCurrent"); }

    // ---- modules -----------------------------------------------------------------------------

    /** Loads a module from a NUL-terminated PTX image; the driver JIT-compiles it for the device. */
    public MemorySegment loadModule(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            check(call(cuModuleLoadData, m, image), "cuModuleLoadData");
            return m.get(ADDRESS, 0);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS);
            check(call(cuModuleGetFunction, f, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return f.get(ADDRESS, 0);
        }
    }

    /** Lets a kernel use more than the default 48 KiB of dynamic shared memory. */
    public void setMaxDynamicShared(MemorySegment function, int bytes) {
        check(call(cuFuncSetAttribute, function, FUNC_MAX_DYNAMIC_SHARED, bytes), "cuFuncSetAttribute");
    }

    // ---- memory and streams ------------------------------------------------------------------

    /** Device memory of {@code bytes} (aligned to at least 256 bytes). */
    public long alloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check(call(cuMemAlloc, p, Math.max(bytes, 1)), "cuMemAlloc_v2(" + bytes + " bytes)");
            return p.get(JAVA_LONG, 0);
        }
    }

    public void free(long pointer) { check(call(cuMemFree, pointer), "cuMemFree_v2"); }

    /** {free, total} bytes of device memory. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            check(call(cuMemGetInfo, free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** Queues a host-to-device copy; a pageable source may be reused as soon as this returns. */
    public void copyToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Queues a device-to-host copy; the caller synchronizes the stream before reading dst. */
    public void copyToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Queues zeroing on {@code stream} (not the legacy stream, which our non-blocking stream does not wait for). */
    public void zero(long dst, long bytes, MemorySegment stream) {
        check(call(cuMemsetD8Async, dst, 0, bytes, stream), "cuMemsetD8Async");
    }

    /** A stream that does not synchronize with the legacy default stream. */
    public MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            check(call(cuStreamCreate, s, STREAM_NON_BLOCKING), "cuStreamCreate");
            return s.get(ADDRESS, 0);
        }
    }

    public void synchronize(MemorySegment stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // ---- CUDA graphs ------------------------------------------------------------------------

    /** Starts recording the stream's work into a graph instead of running it. */
    public void beginCapture(MemorySegment stream) {
        check(call(cuStreamBeginCapture, stream, CAPTURE_RELAXED), "cuStreamBeginCapture_v2");
    }

    /** Ends the capture and returns the executable graph ({@code CUgraphExec}) of what was recorded. */
    public MemorySegment endCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment graph = a.allocate(ADDRESS), exec = a.allocate(ADDRESS);
            check(call(cuStreamEndCapture, stream, graph), "cuStreamEndCapture");
            MemorySegment g = graph.get(ADDRESS, 0);
            try {
                check(call(cuGraphInstantiate, exec, g, 0L), "cuGraphInstantiateWithFlags");
            } finally {
                check(call(cuGraphDestroy, g), "cuGraphDestroy");
            }
            return exec.get(ADDRESS, 0);
        }
    }

    public void launchGraph(MemorySegment exec, MemorySegment stream) {
        int r;
        try {
            r = (int) cuGraphLaunch.invokeExact(exec, stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (r != 0) check(r, "cuGraphLaunch");
    }

    public void destroyGraph(MemorySegment exec) { check(call(cuGraphExecDestroy, exec), "cuGraphExecDestroy"); }

    /** {@code cuLaunchKernel} with a 1-D block; {@code params} is the {@code void**} of arguments. */
    public void launch(MemorySegment function, int gridX, int gridY, int block, int sharedBytes,
                       MemorySegment stream, MemorySegment params, String name) {
        int r;
        try {
            r = (int) cuLaunchKernel.invokeExact(function, gridX, gridY, 1, block, 1, 1, sharedBytes, stream, params,
                    MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (r != 0) check(r, "cuLaunchKernel(" + name + ")");
    }
}
