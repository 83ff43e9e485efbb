package ai.lort.engine.cuda;

import ai.lort.pack.TernaryPacker;
import ai.lort.pack.TritPacker;
import ai.lort.util.Half;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Gpu} that runs each kernel of {@code lort_kernel.cu} as plain Java, one launch at a time,
 * on "device memory" that is host memory at made-up addresses. It checks what the GPU cannot be
 * asked here: that {@link CudaBackend} allocates, offsets, launches and replays (CUDA graphs) what a
 * forward pass needs, with every argument where the kernel expects it. The kernels follow the .cu's
 * semantics (grid shapes included), not its thread-level order, except the ternary ones, which go
 * through {@link TernaryKernelTranscript}.
 */
final class EmulatedGpu implements Gpu {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, MemorySegment> memory = new TreeMap<>();
    private final Map<Long, List<StepGraph.Launch>> graphs = new TreeMap<>();
    private List<StepGraph.Launch> capturing;
    private long next = 0x7000_0000_0000L, nextGraph = 1;
    long launches, graphLaunches, copiesIn, copiesOut;

    @Override
    public String description() { return "emulated GPU"; }

    @Override
    public long alloc(long bytes) {
        long p = next;
        next += (Math.max(bytes, 1) + 255) / 256 * 256 + 256;  // a gap: an overrun lands in no allocation
        memory.put(p, arena.allocate(Math.max(bytes, 1), 256));
        return p;
    }

    @Override
    public long upload(MemorySegment host) {
        long p = alloc(host.byteSize());
        at(p, host.byteSize()).copyFrom(host);
        return p;
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        copiesIn++;
        at(dst, bytes).copyFrom(src.asSlice(0, bytes));
    }

    @Override
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        copiesOut++;
        dst.asSlice(0, bytes).copyFrom(at(src, bytes));
    }

    @Override
    public void free(long pointer) {
        if (memory.remove(pointer) == null) throw new AssertionError("free of a pointer that is no allocation: " + pointer);
    }

    @Override
    public void synchronize() { }

    @Override
    public void close() { arena.close(); }

    /** The device bytes [p, p + bytes), which must lie inside one allocation. */
    MemorySegment at(long p, long bytes) {
        if (bytes == 0) return MemorySegment.NULL;  // a kernel loop that runs zero times (rank 0) reads nothing
        Map.Entry<Long, MemorySegment> e = memory.floorEntry(p);
        if (e == null || p - e.getKey() + bytes > e.getValue().byteSize())
            throw new AssertionError("device access of " + bytes + " bytes at " + Long.toHexString(p) + " outside any allocation");
        return e.getValue().asSlice(p - e.getKey(), bytes);
    }

    private float[] floats(long p, long count) {
        float[] out = new float[(int) count];
        MemorySegment.copy(at(p, 4 * count), F, 0, out, 0, (int) count);
        return out;
    }

    private short[] shorts(long p, long count) {
        short[] out = new short[(int) count];
        MemorySegment.copy(at(p, 2 * count), H, 0, out, 0, (int) count);
        return out;
    }

    private void store(long p, float[] v) { MemorySegment.copy(v, 0, at(p, 4L * v.length), F, 0, v.length); }

    private int pos(long p) { return at(p, 4).get(I, 0); }

    // ---- graphs --------------------------------------------------------------------------------

    @Override
    public MemorySegment capture(Runnable launches) {
        capturing = new ArrayList<>();
        launches.run();
        long id = nextGraph++;
        graphs.put(id, capturing);
        capturing = null;
        return MemorySegment.ofAddress(id);
    }

    @Override
    public void launchGraph(MemorySegment exec) {
        graphLaunches++;
        KernelArgs a = new KernelArgs(arena);
        for (StepGraph.Launch l : graphs.get(exec.address())) run(l.kernel(), l.gridX(), l.gridY(), a.set(l.kinds(), l.raw()));
    }

    @Override
    public void destroyGraph(MemorySegment exec) {
        if (graphs.remove(exec.address()) == null) throw new AssertionError("destroying an unknown graph");
    }

    // ---- kernels ---------------------------------------------------------------------------------

    @Override
    public void launch(String kernel, int gridX, int gridY, int block, int shared, KernelArgs a) {
        if (capturing != null) {
            capturing.add(StepGraph.Launch.of(kernel, gridX, gridY, block, shared, a));
            return;
        }
        launches++;
        run(kernel, gridX, gridY, a);
    }

    private void run(String kernel, int gridX, int n, KernelArgs a) {
        long[] r = new long[a.count()];
        for (int i = 0; i < r.length; i++) r[i] = a.raw(i);
        switch (kernel) {
            case "lort_lowrank_a" -> {
                int rank = (int) r[3], cols = (int) r[4];
                short[] am = shorts(r[0], (long) rank * cols);
                float[] x = floats(r[1], (long) n * cols), u = new float[n * rank];
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < rank; j++) {
                        float acc = 0;
                        for (int c = 0; c < cols; c++) acc += Half.f16ToFloat(am[j * cols + c]) * x[t * cols + c];
                        u[t * rank + j] = acc;
                    }
                store(r[2], u);
            }
            case "lort_ternary_matvec", "lort_ternary_matvec_t2_f16", "lort_ternary_matvec_t3_f32", "lort_ternary_matvec_t3_f16" -> {
                // u (phase 1's output) comes from device memory, as the kernel reads it
                int rows = (int) r[6], cols = (int) r[7], rank = (int) r[8];
                boolean base3 = kernel.contains("_t3");
                float[] u = floats(r[3], (long) n * rank), y = new float[n * rows];
                TernaryKernelTranscript.phase2(base3, codes(base3, r[0], rows, cols), scales(kernel, r[1], rows),
                        shorts(r[2], (long) rows * rank), u, floats(r[4], (long) n * cols), y, rows, cols, rank, n);
                store(r[5], y);
            }
            case "lort_ternary_fused", "lort_ternary_fused_t2_f16", "lort_ternary_fused_t3_f32", "lort_ternary_fused_t3_f16" -> {
                int rows = (int) r[6], cols = (int) r[7], rank = (int) r[8];
                boolean base3 = kernel.contains("_t3");
                float[] y = new float[n * rows];
                TernaryKernelTranscript.ternaryFused(base3, codes(base3, r[0], rows, cols), scales(kernel, r[1], rows),
                        shorts(r[2], (long) rank * cols), shorts(r[3], (long) rows * rank), floats(r[4], (long) n * cols), y, rows, cols, rank, n);
                store(r[5], y);
            }
            case "lort_hadamard" -> {
                int cols = (int) r[3], block = (int) r[4];
                float norm = Float.intBitsToFloat((int) r[5]);
                if (gridX != cols / block) throw new AssertionError("lort_hadamard grid " + gridX + " for " + cols + " / " + block);
                float[] x = floats(r[0], (long) n * cols), signs = floats(r[1], cols);
                for (int t = 0; t < n; t++) {
                    for (int c = 0; c < cols; c++) x[t * cols + c] *= signs[c];
                    for (int b0 = t * cols; b0 < (t + 1) * cols; b0 += block) {
                        for (int len = 1; len < block; len <<= 1)
                            for (int p = 0; p < block / 2; p++) {
                                int j = b0 + (p / len) * (len << 1) + p % len;
                                float lo = x[j], hi = x[j + len];
                                x[j] = lo + hi;
                                x[j + len] = lo - hi;
                            }
                    }
                    for (int c = 0; c < cols; c++) x[t * cols + c] *= norm;
                }
                store(r[2], x);
            }
            case "lort_matvec_q8", "lort_matvec_q4" -> {
                // A transcription of the kernels' warp loop: lane → words, word → columns and group, as in the .cu.
                int rows = (int) r[4], cols = (int) r[5], groups = (int) r[6];
                boolean q8 = kernel.endsWith("q8");
                int rowWords = groups * (q8 ? 8 : 4);
                if (r[0] % 16 != 0) throw new AssertionError(kernel + ": codes not 16-byte aligned");
                MemorySegment codes = at(r[0], 4L * rows * rowWords);
                short[] sc = shorts(r[1], (long) rows * groups);
                float[] x = floats(r[2], (long) n * cols), y = new float[n * rows], acc = new float[32];
                for (int t = 0; t < n; t++)
                    for (int row = 0; row < rows; row++) {
                        int xo = t * cols;
                        for (int lane = 0; lane < 32; lane++) {
                            acc[lane] = 0;
                            for (int w = lane; w < rowWords; w += 32) {
                                int c = q8 ? 4 * w : 32 * (w >> 2) + 4 * (w & 3);
                                if (c >= cols) break;
                                int v = codes.getAtIndex(I, (long) row * rowWords + w);
                                float s = 0;
                                for (int j = 0; j < 4; j++) {
                                    if (q8) {
                                        if (c + j < cols) s += (float) (byte) (v >> (8 * j)) * x[xo + c + j];
                                    } else {
                                        if (c + j < cols) s += (float) (((v >>> (8 * j)) & 15) - 8) * x[xo + c + j];
                                        if (c + 16 + j < cols) s += (float) (((v >>> (8 * j + 4)) & 15) - 8) * x[xo + c + 16 + j];
                                    }
                                }
                                acc[lane] += Half.f16ToFloat(sc[row * groups + (q8 ? w >> 3 : w >> 2)]) * s;
                            }
                        }
                        y[t * rows + row] = TernaryKernelTranscript.warpSum(acc);
                    }
                store(r[3], y);
            }
            case "lort_embed_q8", "lort_embed_q4" -> {
                int cols = (int) r[4], groups = (int) r[5], bits = kernel.endsWith("q8") ? 8 : 4;
                long rowBytes = (long) groups * 32 * bits / 8;
                float[] out = new float[n * cols];
                for (int t = 0; t < n; t++) {
                    int token = at(r[2] + 4L * t, 4).get(I, 0);
                    MemorySegment row = at(r[0] + token * rowBytes, rowBytes);
                    short[] sc = shorts(r[1] + 2L * token * groups, groups);
                    for (int c = 0; c < cols; c++) out[t * cols + c] = Half.f16ToFloat(sc[c / 32]) * groupCode(row, bits, 0, c);
                }
                store(r[3], out);
            }
            case "lort_matvec_f32", "lort_matvec_f16", "lort_matvec_bf16" -> {
                int rows = (int) r[3], cols = (int) r[4];
                int size = kernel.endsWith("f32") ? 4 : 2;
                // the kernel's vector loads (16 bytes) fault on a GPU unless W and x are 16-byte aligned
                if (cols % (16 / size) == 0 && (r[0] % 16 != 0 || r[1] % 16 != 0))
                    throw new AssertionError(kernel + ": vector loads from unaligned W or x");
                MemorySegment w = at(r[0], (long) rows * cols * size);
                float[] x = floats(r[1], (long) n * cols), y = new float[n * rows];
                for (int t = 0; t < n; t++)
                    for (int row = 0; row < rows; row++) {
                        float acc = 0;
                        for (int c = 0; c < cols; c++) acc += element(kernel, w, (long) row * cols + c) * x[t * cols + c];
                        y[t * rows + row] = acc;
                    }
                store(r[2], y);
            }
            case "lort_embed_f32", "lort_embed_f16", "lort_embed_bf16" -> {
                int cols = (int) r[3];
                float[] out = new float[n * cols];
                for (int t = 0; t < n; t++) {
                    int token = at(r[1] + 4L * t, 4).get(I, 0);
                    int size = kernel.endsWith("f32") ? 4 : 2;
                    MemorySegment row = at(r[0] + (long) token * cols * size, (long) cols * size);
                    for (int c = 0; c < cols; c++) out[t * cols + c] = element(kernel, row, c);
                }
                store(r[2], out);
            }
            case "lort_rmsnorm" -> {
                int size = (int) r[3];
                float eps = Float.intBitsToFloat((int) r[4]);
                float[] x = floats(r[0], (long) gridX * size), w = floats(r[1], size), out = new float[x.length];
                for (int v = 0; v < gridX; v++) {
                    float ss = 0;
                    for (int i = 0; i < size; i++) ss += x[v * size + i] * x[v * size + i];
                    float inv = (float) (1 / Math.sqrt(ss / size + eps));
                    for (int i = 0; i < size; i++) out[v * size + i] = x[v * size + i] * inv * w[i];
                }
                store(r[2], out);
            }
            case "lort_rope" -> {
                int heads = (int) r[4], hd = (int) r[5], half = hd / 2, p = pos(r[3]);
                float[] x = floats(r[0], (long) n * heads * hd);
                for (int t = 0; t < n; t++) {
                    float[] c = floats(r[1] + 4L * (p + t) * half, half), s = floats(r[2] + 4L * (p + t) * half, half);
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < half; i++) {
                            int o = t * heads * hd + h * hd;
                            float x0 = x[o + i], x1 = x[o + i + half];
                            x[o + i] = x0 * c[i] - x1 * s[i];
                            x[o + i + half] = x1 * c[i] + x0 * s[i];
                        }
                }
                store(r[0], x);
            }
            case "lort_attention" -> attention(r, n, gridX);
            case "lort_silu_mul" -> {
                int count = (int) r[3];
                float[] g = floats(r[0], count), u = floats(r[1], count);
                for (int i = 0; i < count; i++) g[i] = g[i] / (1 + (float) Math.exp(-g[i])) * u[i];
                store(r[2], g);
            }
            case "lort_add" -> {
                int count = (int) r[3];
                float[] x = floats(r[0], count), y = floats(r[1], count);
                for (int i = 0; i < count; i++) x[i] += y[i];
                store(r[2], x);
            }
            case "lort_add_bias" -> {
                int cols = (int) r[2], total = (int) r[3];
                float[] x = floats(r[0], total), b = floats(r[1], cols);
                for (int i = 0; i < total; i++) x[i] += b[i % cols];
                store(r[0], x);
            }
            case "lort_copy" -> store(r[1], floats(r[0], (int) r[2]));
            case "lort_copy_to_position" -> store(r[1] + 4L * pos(r[2]) * (int) r[3], floats(r[0], (int) r[4]));
            case "lort_argmax" -> {
                float[] x = floats(r[0], (int) r[1]);
                int best = 0;
                for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
                at(r[2], 4).set(I, 0, best);
            }
            default -> throw new AssertionError("no emulation of kernel " + kernel);
        }
    }

    /** The codes of a ternary layer: t2-g64 or t3-b5 rows. */
    private MemorySegment codes(boolean base3, long p, int rows, int cols) {
        return at(p, (long) rows * (base3 ? TritPacker.rowBytes(cols) : TernaryPacker.rowBytes(cols)));
    }

    /** A ternary layer's row scales as floats: float32, or binary16 for the {@code _f16} kernels. */
    private float[] scales(String kernel, long p, int rows) {
        if (!kernel.endsWith("_f16")) return floats(p, rows);
        short[] h = shorts(p, rows);
        float[] f = new float[rows];
        for (int i = 0; i < rows; i++) f[i] = Half.f16ToFloat(h[i]);
        return f;
    }

    /** The integer code of weight c of a q8-g32 / q4-g32 row starting at byte {@code off}, as docs/FORMAT.md lays it out. */
    private static int groupCode(MemorySegment codes, int bits, long off, int c) {
        if (bits == 8) return codes.get(ValueLayout.JAVA_BYTE, off + c);
        int g = c / 32, k = c % 32;
        int b = codes.get(ValueLayout.JAVA_BYTE, off + 16L * g + k % 16) & 0xFF;
        return (k < 16 ? b & 15 : b >>> 4) - 8;
    }

    private static float element(String kernel, MemorySegment s, long i) {
        if (kernel.endsWith("f32")) return s.getAtIndex(F, i);
        short h = s.getAtIndex(H, i);
        return kernel.endsWith("bf16") ? Half.bf16ToFloat(h) : Half.f16ToFloat(h);
    }

    private void attention(long[] r, int n, int heads) {
        int kvHeads = (int) r[6], hd = (int) r[7], window = (int) r[9], cacheRows = (int) r[10], p = pos(r[4]);
        float scale = Float.intBitsToFloat((int) r[8]);
        int kvDim = kvHeads * hd, qDim = heads * hd;
        float[] q = floats(r[0], (long) n * qDim), k = floats(r[1], (long) cacheRows * kvDim), v = floats(r[2], (long) cacheRows * kvDim);
        float[] out = new float[n * qDim];
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads), last = p + t, first = window > 0 ? Math.max(0, last - window + 1) : 0;
                if (last >= cacheRows) throw new AssertionError("attention past the cache: " + last);
                float[] sc = new float[last + 1];
                float m = Float.NEGATIVE_INFINITY, sum = 0;
                for (int s = first; s <= last; s++) {
                    float d = 0;
                    for (int i = 0; i < hd; i++) d += q[t * qDim + h * hd + i] * k[s * kvDim + kvh * hd + i];
                    sc[s] = d * scale;
                    m = Math.max(m, sc[s]);
                }
                for (int s = first; s <= last; s++) sum += sc[s] = (float) Math.exp(sc[s] - m);
                for (int i = 0; i < hd; i++) {
                    float o = 0;
                    for (int s = first; s <= last; s++) o += sc[s] * v[s * kvDim + kvh * hd + i];
                    out[t * qDim + h * hd + i] = o / sum;
                }
            }
        store(r[3], out);
    }
}
