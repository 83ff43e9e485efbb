package ai.lort.load;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Drops pages of a memory-mapped, read-only file from this process's resident set once a tensor
 * has been consumed ({@code madvise(MADV_DONTNEED)} through FFM). The data stays in the OS page
 * cache, so nothing is lost; it just stops counting as our memory, which keeps the peak resident
 * size of a compression independent of the model's size. A no-op where libc lacks madvise.
 */
public final class PageCache {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private PageCache() {}

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise")
                    .map(addr -> linker.downcallHandle(addr, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | Error e) {
            return null; // native access unavailable: stay a no-op
        }
    }

    /** Advises the kernel that the whole pages inside {@code segment} are no longer needed. */
    public static void release(MemorySegment segment) {
        if (MADVISE == null || !segment.isMapped()) return;
        long start = segment.address(), end = start + segment.byteSize();
        long first = (start + PAGE - 1) / PAGE * PAGE, last = end / PAGE * PAGE;
        if (last <= first) return;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(first), last - first, MADV_DONTNEED);
        } catch (Throwable t) {
            // advisory only
        }
    }
}
