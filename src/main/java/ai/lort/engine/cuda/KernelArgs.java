package ai.lort.engine.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code void** kernelParams} of one {@code cuLaunchKernel}, reused for every launch: the driver
 * copies the arguments when the launch is queued, so a launch allocates nothing. Each argument has
 * an 8-byte slot and the pointer array is filled once. The kinds of the arguments are kept so that
 * a test can check a launch against the kernel's PTX signature without a GPU.
 */
public final class KernelArgs {
    /** Kind of one argument: a device pointer (8 bytes) or a 32-bit int or float. */
    public enum Kind { POINTER, INT, FLOAT }

    static final int MAX = 16;
    private final MemorySegment values, pointers;
    private final Kind[] kinds = new Kind[MAX];
    private final long[] raw = new long[MAX];
    private int count;

    public KernelArgs(Arena arena) {
        values = arena.allocate(8L * MAX, 16);
        pointers = arena.allocate(ADDRESS, MAX);
        for (int i = 0; i < MAX; i++) pointers.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
    }

    /** Starts a new argument list. */
    public KernelArgs clear() {
        count = 0;
        return this;
    }

    public KernelArgs ptr(long devicePointer) {
        values.set(JAVA_LONG, 8L * count, devicePointer);
        return kind(Kind.POINTER, devicePointer);
    }

    public KernelArgs i32(int v) {
        values.set(JAVA_INT, 8L * count, v);
        return kind(Kind.INT, v);
    }

    public KernelArgs f32(float v) {
        values.set(JAVA_FLOAT, 8L * count, v);
        return kind(Kind.FLOAT, Float.floatToRawIntBits(v));
    }

    private KernelArgs kind(Kind k, long value) {
        kinds[count] = k;
        raw[count] = value;
        count++;
        return this;
    }

    /** Sets the whole list from kinds and raw values as {@link #raw} returns them (replays). */
    public KernelArgs set(Kind[] kinds, long[] raw) {
        clear();
        for (int i = 0; i < kinds.length; i++) {
            switch (kinds[i]) {
                case POINTER -> ptr(raw[i]);
                case INT -> i32((int) raw[i]);
                case FLOAT -> f32(Float.intBitsToFloat((int) raw[i]));
            }
        }
        return this;
    }

    public int count() { return count; }

    public Kind kind(int i) { return kinds[i]; }

    /** Argument {@code i} as given: the pointer, the int, or the float's bits. */
    public long raw(int i) { return raw[i]; }

    /** The {@code void**} to pass to {@code cuLaunchKernel}. */
    MemorySegment pointers() { return pointers; }
}
