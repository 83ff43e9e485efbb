package ai.lort.engine.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import ai.lort.LortException;
import ai.lort.engine.Backend;
import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.format.QuantizedTensor;
import ai.lort.format.ScaleEncoding;
import ai.lort.load.DType;
import ai.lort.load.Tensor;
import ai.lort.pack.Hadamard;
import ai.lort.weights.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Backend} on an NVIDIA GPU. Weights are uploaded once, unchanged (dense tensors in their
 * file dtype, compressed layers as their packed t2-g64 or t3-b5 codes, float32 or binary16 scales
 * and FP16 factors, group-quantized tensors as their codes and scales); activations and the KV
 * cache are float32 device buffers. A layer fitted in a Hadamard-rotated basis gets its input
 * rotated into a scratch buffer first (the signs uploaded once per rotation). A token step queues its kernels on one stream and
 * copies nothing but its token ids in (one copy, with the step's position: the previous one plus the
 * previous batch, corrected by a second copy when the caller jumps) and, when the caller reads
 * them, the logits out. With graphs on ({@code LORT_CUDA_GRAPH=1}), one-token steps are
 * replayed as a CUDA graph ({@link StepGraph}).
 */
public final class CudaBackend implements Backend {
    private final Gpu device;
    private final CudaKernels k;
    private final StepGraph graph;
    private final Arena host = Arena.ofShared();
    private final List<Long> allocations = new ArrayList<>();
    /** Tensors already on the device, by identity of the source and name (a tied head reuses the embedding). */
    private final Map<String, Long> uploaded = new HashMap<>();
    /** One launch per ternary matmul ({@code lort_ternary_fused}) rather than two; LORT_CUDA_FUSED=0 turns it off. */
    private boolean fusedLowRank = !"0".equals(System.getenv("LORT_CUDA_FUSED"));
    /**
     * Largest rows × cols × rank run fused. Each 32-row block of the fused kernel re-reads A from L2,
     * rows·cols·rank/16 bytes in all; a launch costs a few microseconds. At ~10 TB/s of L2 the two are
     * even near 5·10^8: every matrix of a 0.5B model (at most 4864 × 896 × 32 = 1.4·10^8) is fused,
     * a 7B model's MLP (11008 × 4096 × 32 = 1.4·10^9) is not. An estimate until measured on a GPU.
     */
    static final long FUSED_MAX_WORK = 1L << 29;
    private long weightBytes;
    /** Device ints {position, token 0, token 1, ...}: one upload a step; kernels read the position there. */
    private long step;
    private int tokenCapacity;
    private int lastBatch;
    private long argmaxOut;
    private long scratch;
    private long scratchFloats;
    /** The rotated input of a Hadamard layer: n × cols floats, grown once to the largest need. */
    private long rotated;
    private long rotatedFloats;
    private MemorySegment hostStep = MemorySegment.NULL, hostRow = MemorySegment.NULL;
    /** The value of the position in device memory ({@code step[0]}); -1 before the first step. */
    private int positionOnDevice = -1;

    record Buf(long ptr, int rows, int cols) implements Buffer {
        long row(int r) { return ptr + (long) r * cols * Float.BYTES; }
    }

    record Vec(long ptr, int length) implements Vector {}

    /** An embedding table: dense ({@code bits} 0, of {@code dtype}) or group-quantized ({@code bits} 8 or 4, scales at {@code scales}). */
    record Table(long ptr, DType dtype, int bits, long scales, int groups, int rows, int cols) implements Embedding {}

    /** A dense matrix in its file dtype. */
    record Dense(int rows, int cols, DType dtype, long ptr) implements Weight {}

    /**
     * A ternary + low-rank layer; {@code suffix} names its kernels ({@link CudaKernels#ternarySuffix}),
     * {@code signs} (0 for none) its input rotation's signs with {@code block} and {@code norm}.
     */
    record Ternary(int rows, int cols, long codes, long scales, long a, long b, int rank, String suffix,
                   long signs, int block, float norm) implements Weight {}

    /** A group-quantized matrix (q8-g32 or q4-g32): codes, then {@code groups} binary16 scales per row. */
    record Quantized(int rows, int cols, int bits, long codes, long scales, int groups) implements Weight {}

    public CudaBackend(Gpu device, boolean graphs) {
        this.device = device;
        this.graph = new StepGraph(device, host, graphs);
        this.k = new CudaKernels(graph, host);
        ensureStep(64);
    }

    /** Opens GPU 0; CUDA graphs when {@code LORT_CUDA_GRAPH=1}. */
    public static CudaBackend open() { return open("1".equals(System.getenv("LORT_CUDA_GRAPH"))); }

    public static CudaBackend open(boolean graphs) { return new CudaBackend(new CudaDevice(0), graphs); }

    /** Kernels launched one by one and graphs launched so far: {kernels, graphs}. */
    public long[] launchCounts() { return new long[] {graph.kernelLaunches(), graph.graphLaunches()}; }

    public Gpu device() { return device; }

    /** Chooses the fused (one launch) or two-phase ternary kernels, for comparisons. */
    public void setFusedLowRank(boolean fused) { this.fusedLowRank = fused; }

    /** Bytes of weights one token step reads: every matrix once (for bandwidth reports). */
    public long weightBytesPerToken() { return weightBytes; }

    @Override
    public String name() { return "cuda (" + device.description() + ")"; }

    private long alloc(long bytes) {
        long p = device.alloc(bytes);
        allocations.add(p);
        return p;
    }

    private long upload(MemorySegment data) {
        long p = device.upload(data);
        allocations.add(p);
        return p;
    }

    private long uploadOnce(String key, MemorySegment data) {
        Long p = uploaded.get(key);
        if (p == null) {
            p = upload(data);
            uploaded.put(key, p);
        }
        return p;
    }

    @Override
    public Buffer buffer(int rows, int cols) { return new Buf(alloc((long) rows * cols * Float.BYTES), rows, cols); }

    /**
     * What of a layer's encoding the CUDA kernels cannot run, or null when they run it all: they read
     * t2-g64 and t3-b5 codes, row-f32 and row-f16 scales, and a Hadamard rotation whose block fits a
     * GPU block's shared memory ({@link CudaKernels#MAX_HADAMARD_BLOCK}); anything else is refused, never misread.
     */
    public static String unsupported(CompressedLayer c) {
        if (c.packing() != Packing.T2_G64 && c.packing() != Packing.T3_B5) return "packing " + c.packing().id();
        if (c.scaleEncoding() != ScaleEncoding.ROW_F32 && c.scaleEncoding() != ScaleEncoding.ROW_F16) return "scales " + c.scaleEncoding().id();
        if (c.rotation() != null && c.rotation().block() > CudaKernels.MAX_HADAMARD_BLOCK)
            return "a Hadamard rotation block of " + c.rotation().block() + " inputs (the CUDA kernel holds at most " + CudaKernels.MAX_HADAMARD_BLOCK + ")";
        return null;
    }

    @Override
    public Weight matrix(WeightSource weights, String name) {
        DeviceWeights.Raw raw = DeviceWeights.matrix(weights, name);
        String key = System.identityHashCode(weights) + ":" + name;
        if (raw.dense() != null) {
            Tensor t = raw.dense();
            if (t.rank() != 2) throw new LortException("tensor " + t + " should be a matrix");
            kernelDtype(t);
            weightBytes += t.byteSize();
            return new Dense(t.rows(), t.cols(), t.dtype(), uploadOnce(key, t.data()));
        }
        if (raw.quantized() != null) {
            QuantizedTensor q = raw.quantized();
            weightBytes += q.byteSize();
            long p = uploadOnce(key, q.data());
            return new Quantized(q.rows(), q.cols(), q.encoding().bits(), p, p + (long) q.rows() * q.rowBytes(), q.groups());
        }
        CompressedLayer c = raw.compressed();
        String unsupported = unsupported(c);
        if (unsupported != null) throw new LortException(name + ": " + unsupported + " has no CUDA kernel; run on the CPU (--device cpu)");
        weightBytes += c.codes().byteSize() + c.scales().byteSize() + c.a().byteSize() + c.b().byteSize();
        long a = c.rank() > 0 ? upload(c.a()) : 0, b = c.rank() > 0 ? upload(c.b()) : 0;
        String suffix = CudaKernels.ternarySuffix(c.packing() == Packing.T3_B5, c.scaleEncoding() == ScaleEncoding.ROW_F16);
        Hadamard r = c.rotation();
        long signs = r == null ? 0 : signs(r);
        return new Ternary(c.rows(), c.cols(), upload(c.codes()), upload(c.scales()), a, b, c.rank(), suffix, signs,
                r == null ? 0 : r.block(), r == null ? 0 : (float) (1 / Math.sqrt(r.block())));
    }

    /** The rotation's signs (±1 per input, float32) on the device, uploaded once per rotation (width and seed). */
    private long signs(Hadamard r) {
        return uploaded.computeIfAbsent("hadamard:" + r.cols() + ":" + r.seed(), k -> ((Vec) vector(r.signVector())).ptr());
    }

    private static DType kernelDtype(Tensor t) {
        return switch (t.dtype()) {
            case F32, F16, BF16 -> t.dtype();
            default -> throw new LortException("tensor " + t + ": the CUDA backend reads F32, F16 or BF16 weights only");
        };
    }

    @Override
    public Vector vector(float[] values) {
        MemorySegment s = host.allocate(JAVA_FLOAT, Math.max(1, values.length));
        MemorySegment.copy(values, 0, s, JAVA_FLOAT, 0, values.length);
        Vec v = new Vec(upload(s), values.length);
        device.synchronize();  // the staging copy of s is done; s stays in the arena until close
        return v;
    }

    @Override
    public Embedding embedding(WeightSource weights, String name) {
        String key = System.identityHashCode(weights) + ":" + name;
        java.util.Optional<QuantizedTensor> q = weights.quantized(name);
        if (q.isPresent()) {
            // the same key as the tied head's matrix(): one copy of the bytes on the device
            QuantizedTensor t = q.get();
            long p = uploadOnce(key, t.data());
            return new Table(p, null, t.encoding().bits(), p + (long) t.rows() * t.rowBytes(), t.groups(), t.rows(), t.cols());
        }
        Tensor t = DeviceWeights.tensor(weights, name);
        kernelDtype(t);
        long p = uploadOnce(key, t.data());
        return new Table(p, t.dtype(), 0, 0, 0, t.rows(), t.cols());
    }

    @Override
    public void embed(Embedding table, int[] ids, int from, int n, Buffer out) {
        Table t = (Table) table;
        if (n == 1) graph.beginStep();
        else graph.flush();
        ensureStep(n);
        for (int i = 0; i < n; i++) {
            int id = ids[from + i];
            if (id < 0 || id >= t.rows) throw new LortException("token id " + id + " is outside the vocabulary (0.." + (t.rows - 1) + ")");
            hostStep.setAtIndex(JAVA_INT, 1 + i, id);
        }
        // The position this step most likely has: generation goes on where the last batch ended.
        int predicted = positionOnDevice < 0 ? 0 : positionOnDevice + lastBatch;
        hostStep.setAtIndex(JAVA_INT, 0, predicted);
        device.copyToDevice(step, hostStep, (n + 1L) * Integer.BYTES);
        positionOnDevice = predicted;
        lastBatch = n;
        if (t.bits != 0) k.embedQuantized(t.bits, t.ptr, t.scales, step + Integer.BYTES, ((Buf) out).ptr, t.cols, t.groups, n);
        else k.embed(t.dtype, t.ptr, step + Integer.BYTES, ((Buf) out).ptr, t.cols, n);
    }

    private void ensureStep(int n) {
        if (n <= tokenCapacity) return;
        tokenCapacity = Math.max(n, 64);
        step = alloc((tokenCapacity + 1L) * Integer.BYTES);
        hostStep = host.allocate(JAVA_INT, tokenCapacity + 1L);
        positionOnDevice = -1;  // the new buffer holds no position yet
    }

    @Override
    public void rmsNorm(Buffer out, Buffer x, Vector weight, float eps, int n) {
        k.rmsNorm(((Buf) x).ptr, ((Vec) weight).ptr, ((Buf) out).ptr, x.cols(), n, eps);
    }

    @Override
    public void headRmsNorm(Buffer x, Vector weight, int headDim, float eps, int n) {
        long p = ((Buf) x).ptr;
        k.rmsNorm(p, ((Vec) weight).ptr, p, headDim, n * (x.cols() / headDim), eps);
    }

    @Override
    public void matmul(Buffer out, Weight w, Buffer x, int n) {
        long xp = ((Buf) x).ptr, yp = ((Buf) out).ptr;
        switch (w) {
            case Dense d -> k.matvec(d.dtype, d.ptr, xp, yp, d.rows, d.cols, n);
            case Quantized q -> k.matvecQuantized(q.bits, q.codes, q.scales, xp, yp, q.rows, q.cols, q.groups, n);
            case Ternary m -> {
                if (m.signs != 0) {
                    long r = rotatedScratch((long) n * m.cols);
                    k.hadamard(xp, m.signs, r, m.cols, m.block, m.norm, n);
                    xp = r;
                }
                if (fusedLowRank && (long) m.rows * m.cols * m.rank <= FUSED_MAX_WORK)
                    k.ternaryFused(m.suffix, m.codes, m.scales, m.a, m.b, xp, yp, m.rows, m.cols, m.rank, n);
                else
                    k.ternary(m.suffix, m.codes, m.scales, m.a, m.b, lowRankScratch((long) n * m.rank), xp, yp, m.rows, m.cols, m.rank, n);
            }
            default -> throw new IllegalArgumentException("not a CUDA weight: " + w);
        }
    }

    /** The rotated input of a Hadamard layer: n × cols floats, grown once to the largest need. */
    private long rotatedScratch(long floats) {
        if (floats > rotatedFloats) {
            rotatedFloats = Math.max(floats, 1024);
            rotated = alloc(rotatedFloats * Float.BYTES);
        }
        return rotated;
    }

    /** {@code u = A x} of a ternary layer: n × rank floats, grown once to the largest need. */
    private long lowRankScratch(long floats) {
        if (floats > scratchFloats) {
            scratchFloats = Math.max(floats, 1024);
            scratch = alloc(scratchFloats * Float.BYTES);
        }
        return scratch;
    }

    @Override
    public void addBias(Buffer x, Vector bias, int n) {
        k.addBias(((Buf) x).ptr, ((Vec) bias).ptr, x.cols(), n * x.cols());
    }

    @Override
    public void rope(Buffer x, int headDim, Vector cos, Vector sin, int pos, int n) {
        k.rope(((Buf) x).ptr, ((Vec) cos).ptr, ((Vec) sin).ptr, position(pos), x.cols() / headDim, headDim, n);
    }

    /** The device int holding {@code pos}: uploaded with the tokens, or here when the prediction missed. */
    private long position(int pos) {
        if (pos != positionOnDevice) {
            graph.beforeWrite(step);
            hostStep.setAtIndex(JAVA_INT, 0, pos);
            device.copyToDevice(step, hostStep, Integer.BYTES);
            positionOnDevice = pos;
        }
        return step;
    }

    @Override
    public void copyRows(Buffer dst, int dstRow, Buffer src, int srcRow, int n) {
        if (dst.cols() != src.cols()) throw new IllegalArgumentException("copyRows between " + src.cols() + " and " + dst.cols() + " columns");
        if (dstRow == positionOnDevice)  // a KV-cache write: the same launch at every step
            k.copyToPosition(((Buf) src).row(srcRow), ((Buf) dst).ptr, step, dst.cols(), n * src.cols());
        else
            k.copy(((Buf) src).row(srcRow), ((Buf) dst).row(dstRow), n * src.cols());
    }

    @Override
    public void attention(Buffer out, Buffer q, Buffer keys, Buffer values, Attention shape, int pos, int n) {
        k.attention(((Buf) q).ptr, ((Buf) keys).ptr, ((Buf) values).ptr, ((Buf) out).ptr, position(pos), shape.heads(), shape.kvHeads(),
                shape.headDim(), shape.scale(), shape.window(), keys.rows(), n);
    }

    @Override
    public void siluMul(Buffer gate, Buffer up, int n) {
        long g = ((Buf) gate).ptr;
        k.siluMul(g, ((Buf) up).ptr, g, n * gate.cols());
    }

    @Override
    public void add(Buffer x, Buffer y, int n) {
        long a = ((Buf) x).ptr;
        k.add(a, ((Buf) y).ptr, a, n * x.cols());
    }

    @Override
    public void read(Buffer src, int row, float[] dst) {
        int count = Math.min(dst.length, src.cols());
        graph.flush();
        if (hostRow.byteSize() < (long) count * Float.BYTES) hostRow = host.allocate(JAVA_FLOAT, count);
        device.copyToHost(hostRow, ((Buf) src).row(row), (long) count * Float.BYTES);
        MemorySegment.copy(hostRow, JAVA_FLOAT, 0, dst, 0, count);
    }

    /** Greedy sampling on the device: the index of the largest value of row {@code row}; 4 bytes come back. */
    public int argmax(Buffer src, int row) {
        graph.flush();
        if (argmaxOut == 0) argmaxOut = alloc(Integer.BYTES);
        k.argmax(((Buf) src).row(row), src.cols(), argmaxOut);
        MemorySegment out = host.allocate(JAVA_INT);
        device.copyToHost(out, argmaxOut, Integer.BYTES);
        return out.get(JAVA_INT, 0);
    }

    /** Waits for every queued kernel (timing). */
    public void synchronize() {
        graph.flush();
        device.synchronize();
    }

    @Override
    public void close() {
        graph.close();
        device.synchronize();
        for (long p : allocations) device.free(p);
        allocations.clear();
        device.close();
        host.close();
    }
}
