package ai.lort.bench;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.kernel.Bf16Matrix;
import ai.lort.kernel.Matrix;
import ai.lort.kernel.TernaryLowRankMatrix;
import ai.lort.pack.TernaryPacker;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One single-threaded matvec of the ternary + low-rank kernel, its scalar reference, and a BF16
 * matvec of the same shape (the Qwen2.5-0.5B projections). {@code memory=hot} reuses one matrix
 * (it may sit in cache); {@code memory=cold} cycles through copies totalling {@link #COLD_BYTES},
 * several times the L3, so every weight byte comes from DRAM as in real generation. The
 * {@code TwoThreads} variants split each matvec's rows over two threads; their GB/s (matrix bytes
 * per op time) is the total of both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
// Vector API code reaches C2 only after several seconds on a busy machine: warm up long enough.
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
public class KernelBench {
    static final long COLD_BYTES = 256L << 20;

    @Param({"896x896", "4864x896", "896x4864"})
    public String shape;

    @Param({"32"})
    public int rank;

    @Param({"cold", "hot"})
    public String memory;

    private Matrix[] matrices;
    private float[] x, y;
    private int next;

    @Setup
    public void setup(BenchmarkParams params) {
        int rows = rows(shape), cols = cols(shape);
        boolean bf16 = params.getBenchmark().contains("bf16");
        long bytes = bf16 ? bf16Bytes(rows, cols) : ternaryBytes(rows, cols, rank);
        int copies = memory.equals("hot") ? 1 : (int) Math.max(2, COLD_BYTES / bytes);
        Random rnd = new Random(1);
        matrices = new Matrix[copies];
        // Copies share one random pattern: contents do not change the time, only where they live.
        if (bf16) {
            MemorySegment pattern = randomBf16(rnd, rows * cols);
            for (int i = 0; i < copies; i++) matrices[i] = new Bf16Matrix(copy(pattern), rows, cols);
        } else {
            CompressedLayer l = randomTernary(rnd, rows, cols, rank);
            for (int i = 0; i < copies; i++)
                matrices[i] = new TernaryLowRankMatrix(new CompressedLayer("l", rows, cols, rank, l.packing(),
                        copy(l.scales()), copy(l.a()), copy(l.b()), copy(l.codes())));
        }
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        y = new float[rows];
    }

    private Matrix nextMatrix() {
        Matrix m = matrices[next];
        next = next + 1 == matrices.length ? 0 : next + 1;
        return m;
    }

    @Benchmark
    public float[] ternary() {
        Matrix m = nextMatrix();
        m.matvec(x, y, 0, m.rows());
        return y;
    }

    @Benchmark
    public float[] ternaryScalar() {
        var m = (TernaryLowRankMatrix) nextMatrix();
        m.scalarMatvec(x, y, 0, m.rows());
        return y;
    }

    @Benchmark
    public float[] bf16() {
        Matrix m = nextMatrix();
        m.matvec(x, y, 0, m.rows());
        return y;
    }

    @Benchmark
    public float[] bf16Scalar() {
        var m = (Bf16Matrix) nextMatrix();
        m.scalarMatvec(x, y, 0, m.rows());
        return y;
    }

    /** Which half of the rows a thread of the two-thread benchmarks takes, and its own rotation. */
    @State(Scope.Thread)
    public static class Half {
        int index, next;

        @Setup
        public void setup(KernelBench bench) { index = bench.halves.getAndIncrement() % 2; }
    }

    private final AtomicInteger halves = new AtomicInteger();

    /** Two threads, each on its half of the rows (how the engine splits a matvec on 2 cores). */
    @Benchmark
    @Threads(2)
    public float[] ternaryTwoThreads(Half h) { return half(h); }

    @Benchmark
    @Threads(2)
    public float[] bf16TwoThreads(Half h) { return half(h); }

    private float[] half(Half h) {
        Matrix m = matrices[h.next];
        h.next = h.next + 1 == matrices.length ? 0 : h.next + 1;
        int mid = m.rows() / 2;
        if (h.index == 0) m.matvec(x, y, 0, mid); else m.matvec(x, y, mid, m.rows());
        return y;
    }

    static int rows(String shape) { return Integer.parseInt(shape.substring(0, shape.indexOf('x'))); }

    static int cols(String shape) { return Integer.parseInt(shape.substring(shape.indexOf('x') + 1)); }

    static long bf16Bytes(int rows, int cols) { return 2L * rows * cols; }

    static long ternaryBytes(int rows, int cols, int rank) {
        return (long) rows * TernaryPacker.rowBytes(cols) + 4L * rows + 2L * rank * (rows + cols);
    }

    private static MemorySegment copy(MemorySegment s) {
        return Arena.global().allocate(Math.max(1, s.byteSize()), 64).copyFrom(s).asSlice(0, s.byteSize());
    }

    private static MemorySegment randomBf16(Random rnd, int n) {
        MemorySegment s = Arena.ofAuto().allocate(2L * n);
        for (int i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian() * 0.02f) >>> 16));
        return s;
    }

    static CompressedLayer randomTernary(Random rnd, int rows, int cols, int rank) {
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (rnd.nextInt(3) - 1);
        MemorySegment scales = Arena.ofAuto().allocate(4L * rows), a = Arena.ofAuto().allocate(2L * rank * cols), b = Arena.ofAuto().allocate(2L * rows * rank);
        for (int i = 0; i < rows; i++) scales.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 0.02f);
        for (long i = 0; i < a.byteSize() / 2; i++) a.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) rnd.nextGaussian() * 0.01f));
        for (long i = 0; i < b.byteSize() / 2; i++) b.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) rnd.nextGaussian() * 0.01f));
        return new CompressedLayer("l", rows, cols, rank, Packing.T2_G64, scales, a, b,
                MemorySegment.ofArray(TernaryPacker.pack(t, rows, cols)));
    }
}
