package ai.lort.engine.cuda;

import ai.lort.load.DType;
import java.lang.foreign.Arena;

/**
 * Typed launchers for the kernels of {@code kernels/lort_kernel.cu}: each method knows its kernel's
 * argument list and launch shape, so the rest of the Java side never spells a kernel name or a grid.
 * Arguments are device pointers ({@code long}) and sizes; a batch of {@code n} tokens runs as
 * {@code gridDim.y = n} over row-major activation buffers.
 */
public final class CudaKernels {
    /** Threads per block of the matrix-vector kernels: one warp per output row, 8 rows a block. */
    public static final int MATVEC_THREADS = 256;
    static final int ROWS_PER_BLOCK = MATVEC_THREADS / 32;
    static final int ELEMENTWISE_THREADS = 256;
    static final int NORM_THREADS = 256;
    /** Attention threads per head; the kernel needs headDim at most this. */
    public static final int ATTENTION_THREADS = 256;
    static final int ARGMAX_THREADS = 1024;

    private final KernelLauncher launcher;
    private final KernelArgs args;

    public CudaKernels(KernelLauncher launcher, Arena arena) {
        this.launcher = launcher;
        this.args = new KernelArgs(arena);
    }

    private static int blocks(long count, int perBlock) { return Math.toIntExact((count + perBlock - 1) / perBlock); }

    /**
     * The suffix of the ternary kernels for a packing and scale encoding: {@code ""} for t2-g64 with
     * row-f32 scales (format 1.0), else {@code _t2_f16}, {@code _t3_f32} or {@code _t3_f16}.
     */
    public static String ternarySuffix(boolean base3, boolean halfScales) {
        if (!base3 && !halfScales) return "";
        return (base3 ? "_t3" : "_t2") + (halfScales ? "_f16" : "_f32");
    }

    /**
     * {@code y[t] = s ∘ (T x[t]) + B (A x[t])} for the packing and scales that {@code suffix}
     * ({@link #ternarySuffix}) names: {@code u} is scratch of {@code n × rank} floats; {@code a},
     * {@code b} and {@code u} are unused when rank is 0.
     */
    public void ternary(String suffix, long codes, long scales, long a, long b, long u, long x, long y,
                        int rows, int cols, int rank, int n) {
        if (rank > 0)
            launcher.launch("lort_lowrank_a", blocks(rank, ROWS_PER_BLOCK), n, MATVEC_THREADS, 0,
                    args.clear().ptr(a).ptr(x).ptr(u).i32(rank).i32(cols));
        launcher.launch("lort_ternary_matvec" + suffix, blocks(rows, ROWS_PER_BLOCK), n, MATVEC_THREADS, 0,
                args.clear().ptr(codes).ptr(scales).ptr(b).ptr(u).ptr(x).ptr(y).i32(rows).i32(cols).i32(rank));
    }

    /** Threads per block of {@code lort_ternary_fused}: 32 rows share one computation of {@code A x}. */
    public static final int FUSED_THREADS = 1024;

    /** {@link #ternary} in one launch: every block computes {@code A x} into shared memory first. */
    public void ternaryFused(String suffix, long codes, long scales, long a, long b, long x, long y, int rows, int cols, int rank, int n) {
        launcher.launch("lort_ternary_fused" + suffix, blocks(rows, FUSED_THREADS / 32), n, FUSED_THREADS, rank * Float.BYTES,
                args.clear().ptr(codes).ptr(scales).ptr(a).ptr(b).ptr(x).ptr(y).i32(rows).i32(cols).i32(rank));
    }

    /** Largest Hadamard block the rotation kernel holds in shared memory: 32 KiB, which every GPU gives a block without opting in. */
    public static final int MAX_HADAMARD_BLOCK = 8192;

    /**
     * {@code out[t] = R x[t]} for the n tokens, R the Hadamard rotation with these signs (cols
     * floats on the device) and block (a power of two dividing cols, at most {@link #MAX_HADAMARD_BLOCK}).
     */
    public void hadamard(long x, long signs, long out, int cols, int block, float norm, int n) {
        if (block < 1 || Integer.bitCount(block) != 1 || cols % block != 0 || block > MAX_HADAMARD_BLOCK)
            throw new IllegalArgumentException("Hadamard block " + block + " of " + cols + " columns");
        int threads = Math.min(256, Math.max(32, block / 2));
        launcher.launch("lort_hadamard", cols / block, n, threads, block * Float.BYTES,
                args.clear().ptr(x).ptr(signs).ptr(out).i32(cols).i32(block).f32(norm));
    }

    /** {@code y[t] = W x[t]} for a q8-g32 ({@code bits} 8) or q4-g32 (4) matrix: codes, then binary16 scales, {@code groups} per row. */
    public void matvecQuantized(int bits, long codes, long scales, long x, long y, int rows, int cols, int groups, int n) {
        launcher.launch(quantizedKernel("lort_matvec_q", bits), blocks(rows, ROWS_PER_BLOCK), n, MATVEC_THREADS, 0,
                args.clear().ptr(codes).ptr(scales).ptr(x).ptr(y).i32(rows).i32(cols).i32(groups));
    }

    /** {@code out[t] = table[tokens[t]]} dequantized, for a q8-g32 or q4-g32 table. */
    public void embedQuantized(int bits, long codes, long scales, long tokens, long out, int cols, int groups, int n) {
        launcher.launch(quantizedKernel("lort_embed_q", bits), blocks(cols, ELEMENTWISE_THREADS), n, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(codes).ptr(scales).ptr(tokens).ptr(out).i32(cols).i32(groups));
    }

    private static String quantizedKernel(String prefix, int bits) {
        if (bits != 8 && bits != 4) throw new IllegalArgumentException("no CUDA kernel for " + bits + "-bit groups");
        return prefix + bits;
    }

    /** {@code y[t] = W x[t]} for a dense F32, F16 or BF16 matrix (rows × cols). */
    public void matvec(DType type, long w, long x, long y, int rows, int cols, int n) {
        launcher.launch(kernelFor("lort_matvec_", type), blocks(rows, ROWS_PER_BLOCK), n, MATVEC_THREADS, 0,
                args.clear().ptr(w).ptr(x).ptr(y).i32(rows).i32(cols));
    }

    /** {@code out[t] = table[tokens[t]]} (tokens: n ints on the device). */
    public void embed(DType type, long table, long tokens, long out, int cols, int n) {
        launcher.launch(kernelFor("lort_embed_", type), blocks(cols, ELEMENTWISE_THREADS), n, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(table).ptr(tokens).ptr(out).i32(cols));
    }

    private static String kernelFor(String prefix, DType type) {
        return switch (type) {
            case F32 -> prefix + "f32";
            case F16 -> prefix + "f16";
            case BF16 -> prefix + "bf16";
            default -> throw new IllegalArgumentException("no CUDA kernel for " + type + " weights");
        };
    }

    /** RMSNorm of {@code count} consecutive vectors of {@code size} floats, each times {@code w}. */
    public void rmsNorm(long x, long w, long out, int size, int count, float eps) {
        launcher.launch("lort_rmsnorm", count, 1, NORM_THREADS, 0, args.clear().ptr(x).ptr(w).ptr(out).i32(size).f32(eps));
    }

    /** Rotary embedding of {@code n} rows of {@code heads × headDim}, row t at position *pos + t (pos: a device int). */
    public void rope(long x, long cos, long sin, long pos, int heads, int headDim, int n) {
        launcher.launch("lort_rope", blocks((long) heads * (headDim / 2), ELEMENTWISE_THREADS), n, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(x).ptr(cos).ptr(sin).ptr(pos).i32(heads).i32(headDim));
    }

    /** Dynamic shared memory of one attention block for a cache of {@code cacheRows} positions. */
    public static int attentionSharedBytes(int cacheRows) { return (cacheRows + ATTENTION_THREADS + 32) * Float.BYTES; }

    /** Causal grouped-query attention of {@code n} queries (query t at position *pos + t; pos: a device int). */
    public void attention(long q, long keys, long values, long out, long pos, int heads, int kvHeads, int headDim,
                          float scale, int window, int cacheRows, int n) {
        if (headDim > ATTENTION_THREADS || headDim % 2 != 0 || heads % kvHeads != 0)
            throw new IllegalArgumentException("attention shape heads " + heads + ", kv heads " + kvHeads + ", head dim " + headDim);
        launcher.launch("lort_attention", heads, n, ATTENTION_THREADS, attentionSharedBytes(cacheRows),
                args.clear().ptr(q).ptr(keys).ptr(values).ptr(out).ptr(pos).i32(heads).i32(kvHeads).i32(headDim)
                        .f32(scale).i32(window).i32(cacheRows));
    }

    /** {@code out = silu(gate) · up} over {@code count} floats. */
    public void siluMul(long gate, long up, long out, int count) {
        launcher.launch("lort_silu_mul", blocks(count, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(gate).ptr(up).ptr(out).i32(count));
    }

    /** {@code out = a + b} over {@code count} floats. */
    public void add(long a, long b, long out, int count) {
        launcher.launch("lort_add", blocks(count, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(a).ptr(b).ptr(out).i32(count));
    }

    /** {@code x[i] += bias[i % cols]} over {@code total} floats. */
    public void addBias(long x, long bias, int cols, int total) {
        launcher.launch("lort_add_bias", blocks(total, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(x).ptr(bias).i32(cols).i32(total));
    }

    /** {@code dst = src} over {@code count} floats. */
    public void copy(long src, long dst, int count) {
        launcher.launch("lort_copy", blocks(count, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(src).ptr(dst).i32(count));
    }

    /** {@code dst[*pos · rowFloats + i] = src[i]} for i < count (KV-cache writes; pos: a device int). */
    public void copyToPosition(long src, long dst, long pos, int rowFloats, int count) {
        launcher.launch("lort_copy_to_position", blocks(count, ELEMENTWISE_THREADS), 1, ELEMENTWISE_THREADS, 0,
                args.clear().ptr(src).ptr(dst).ptr(pos).i32(rowFloats).i32(count));
    }

    /** {@code out[0] = argmax(x[0..count))} (one int on the device). */
    public void argmax(long x, int count, long out) {
        launcher.launch("lort_argmax", 1, 1, ARGMAX_THREADS, 0, args.clear().ptr(x).i32(count).ptr(out));
    }
}
