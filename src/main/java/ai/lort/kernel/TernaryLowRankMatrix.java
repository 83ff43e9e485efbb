package ai.lort.kernel;

import static ai.lort.kernel.VectorSpecs.F;
import static ai.lort.kernel.VectorSpecs.SHORT_LE;

import ai.lort.format.CompressedLayer;
import ai.lort.format.Packing;
import ai.lort.pack.TernaryPacker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A compressed layer {@code W ≈ diag(s)·T + B·A} run from its ternary codes ({@code t2-g64} or
 * {@code t3-b5}, re-laid out once at load by {@link BlockedCodes}): {@code y = s ∘ (T x) + B (A x)}.
 * T is never expanded to more than 2 bits per weight.
 *
 * <p>Lanes are rows: a 16-row block's codes for a chunk of columns are one vector of 16 ints, so
 * no lane is ever reduced. With 16 float lanes (AVX-512) the codes are laid out three columns to
 * five bits ({@link BlockedCodes#triples}) and each call first tabulates, for every column triple,
 * the 27 values {@code t0·x0 + t1·x1 + t2·x2} its codes can select (two registers); then one
 * shift, one two-register permute (the 5-bit fields of 16 rows pick from the triple's table) and
 * one add cover 48 weights, where decoding codes to floats takes a mask, a convert and a
 * multiply-add per 16 weights (bench/README.md compares the variants). A table
 * does not fit a narrower register, so with 8 or 4 lanes (AVX2, NEON) the codes, two bits each
 * ({@link BlockedCodes#of}), are decoded to floats and meet x broadcast per column.
 *
 * <p>Per call the tables (about 11 floats per column), {@code Σ x} and {@code A x} go into a per-thread
 * scratch buffer: cheap next to rows × cols, but repeated by every call, so callers should split
 * rows into few large ranges. Every row is computed by the same operations in the same order
 * whatever range it falls in, so results do not depend on how rows are split across threads; they
 * equal the scalar reference up to float rounding order (tests hold it to 1e-5 of Σ|terms|).
 */
public final class TernaryLowRankMatrix implements Matrix {
    private static final int BLOCK = BlockedCodes.BLOCK, CHUNK = BlockedCodes.CHUNK, CHUNK_BYTES = BlockedCodes.CHUNK_BYTES;
    /** Lanes of the table kernel's registers; floats of one column triple's table (27 used), and of a chunk's tables. */
    static final int TABLE = 16, TRIPLE = 32, TRIPLE_CHUNK = BlockedCodes.TRIPLE_CHUNK, CHUNK_TABLES = TRIPLE_CHUNK / 3 * TRIPLE;
    /** Row units (blocks, or vectors of rows) a kernel call runs at once: independent add chains sharing the table or x loads. */
    static final int UNITS = 4;
    /** The table kernel: one block of 16 rows per vector. */
    private static final VectorSpecies<Float> BLOCK_F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> BLOCK_I = IntVector.SPECIES_512;
    static final boolean TABLES = F.length() >= TABLE;
    /** The decode kernel (and the final scale and low-rank step of both): at most 8 lanes, a divisor of a block. */
    static final VectorSpecies<Float> D = TABLES ? FloatVector.SPECIES_256 : F;
    private static final VectorSpecies<Integer> DI = D.withLanes(int.class);
    /**
     * Table entry i holds {@code (c0 − 1)·x0 + (c1 − 1)·x1 + (c2 − 1)·x2} for the codes
     * {@code c0 = i % 3, c1 = i / 3 % 3, c2 = i / 9} (entries 27-31 are never selected: 0).
     */
    private static final float[] FIRST_WEIGHT = new float[TRIPLE], SECOND_WEIGHT = new float[TRIPLE], THIRD_WEIGHT = new float[TRIPLE];

    static {
        for (int i = 0; i < 27; i++) {
            FIRST_WEIGHT[i] = i % 3 - 1;
            SECOND_WEIGHT[i] = i / 3 % 3 - 1;
            THIRD_WEIGHT[i] = i / 9 - 1;
        }
    }

    /** Per-thread tables (or padded x), {@code A x} and the kernel's row sums, grown to the largest layer seen. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    // Package-private where TernaryPhases (test sources: the decode profile) times matvec's steps one by one.
    final int rows, cols, rank, chunks, tripleChunks, rowBytes;
    /** A, B and the codes as in the file (the codes only for the scalar reference), and the table kernel's codes. */
    final MemorySegment a, b, codes, triples;
    /** The decode kernel's codes, built when it first runs (at load without AVX-512; in tests). */
    private volatile MemorySegment blocked;
    private final CompressedLayer layer;
    /** Row scales widened to float32 once, padded to whole blocks (row-f32 or row-f16 in the file). */
    private final float[] scales;
    private final long fileBytes;
    /** The layer's input rotation and its signs, or null: x is rotated once per call. */
    private final ai.lort.pack.Hadamard rotation;
    private final float[] signs;
    private static final ThreadLocal<float[]> ROTATED = ThreadLocal.withInitial(() -> new float[0]);
    /** A holds only zero and normal halves: the fast F16 decode is exact (see F16Matrix). */
    final boolean plainFactors;
    /**
     * B as floats, decoded once and laid out like the codes, {@code [block][k][16 rows]}, so that
     * {@code B (A x)} is rank multiply-adds per vector of rows. At 4·rank bytes a row it is a small
     * fraction of the model (16 MB for Qwen2.5-0.5B at 2.2 bpw).
     */
    private final float[] bBlocks;
    /** {@code t3-b5} codes (five per byte) rather than {@code t2-g64}, for the scalar reference. */
    private final boolean base3;

    public TernaryLowRankMatrix(CompressedLayer l) {
        base3 = l.packing() == Packing.T3_B5;
        rows = l.rows();
        cols = l.cols();
        rank = l.rank();
        chunks = BlockedCodes.chunks(cols);
        tripleChunks = BlockedCodes.tripleChunks(cols);
        layer = l;
        rowBytes = l.packing().rowBytes(cols);
        int paddedRows = BlockedCodes.blocks(rows) * BLOCK;
        check(l, "scales", l.scales(), (long) l.scaleEncoding().bytes() * rows);
        scales = new float[paddedRows];
        for (int i = 0; i < rows; i++) scales[i] = l.scale(i);
        a = l.a();
        b = l.b();
        codes = l.codes();
        check(l, "a", a, 2L * rank * cols);
        check(l, "b", b, 2L * rows * rank);
        check(l, "codes", codes, (long) rows * rowBytes);
        rotation = l.rotation();
        signs = rotation == null ? null : rotation.signVector();
        fileBytes = l.scales().byteSize() + a.byteSize() + b.byteSize() + codes.byteSize();
        plainFactors = F16Matrix.plainHalves(a);
        bBlocks = new float[Math.multiplyExact(paddedRows, rank)];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < rank; k++)
                bBlocks[((r / BLOCK) * rank + k) * BLOCK + r % BLOCK] = Float.float16ToFloat(b.getAtIndex(SHORT_LE, (long) r * rank + k));
        triples = TABLES ? BlockedCodes.triples(l) : null;
        if (!TABLES) blocked = BlockedCodes.of(l);
    }

    /** The two-bit blocked codes of the decode kernel. */
    MemorySegment blocked() {
        MemorySegment m = blocked;
        if (m == null) {
            synchronized (this) {
                if (blocked == null) blocked = BlockedCodes.of(layer);
                m = blocked;
            }
        }
        return m;
    }

    private static void check(CompressedLayer l, String what, MemorySegment s, long bytes) {
        if (s.byteSize() != bytes) throw new IllegalArgumentException(l.name() + ": " + what + " has " + s.byteSize() + " bytes, expected " + bytes);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    /**
     * Bytes one matvec reads: the blocked codes (1.78 bits per weight with AVX-512, else 2), A as
     * stored (FP16), B widened to float32 and the scales (float32), rows padded to whole blocks.
     */
    @Override public long weightBytes() {
        return (triples != null ? triples.byteSize() : blocked().byteSize()) + a.byteSize() + 4L * bBlocks.length + 4L * scales.length;
    }

    /** The layer's bytes in the file: codes as packed there, scales, A and B. */
    public long fileBytes() { return fileBytes; }
    public int rank() { return rank; }

    @Override
    public void matvec(float[] x, float[] y, int rowFrom, int rowTo) {
        matvec(x, y, rowFrom, rowTo, TABLES);
    }

    /** {@link #matvec} with the table kernel or the decode kernel (package-private so tests run both). */
    void matvec(float[] x, float[] y, int rowFrom, int rowTo, boolean tables) {
        if (rowFrom >= rowTo) return;
        x = rotated(x);
        int unit = tables ? BLOCK : D.length(), inputs = tables ? tripleChunks * CHUNK_TABLES : chunks * CHUNK;
        MemorySegment codes = tables ? triples : blocked();
        float[] work = scratch(inputs + rank + UNITS * unit);
        int axAt = inputs, dotsAt = inputs + rank;
        float sumX = tables ? 0 : padded(x, work);
        if (tables) tables(x, work);
        for (int j = 0; j < rank; j++)
            work[axAt + j] = plainFactors ? F16Matrix.dotPlain(a, 2L * j * cols, x, 0, cols) : F16Matrix.dot(a, 2L * j * cols, x, 0, cols);
        // Units in fours; a short last group repeats its last unit (same work, same result).
        int first = rowFrom / unit, end = (rowTo - 1) / unit + 1;
        for (int u = first; u < end; u += UNITS) {
            int u1 = Math.min(u + 1, end - 1), u2 = Math.min(u + 2, end - 1), u3 = Math.min(u + 3, end - 1);
            if (tables) tableDots(codes, tripleChunks, u, u1, u2, u3, work, work, dotsAt);
            else decodeDots(codes, chunks, u, u1, u2, u3, work, sumX, work, dotsAt);
            for (int k = 0; k < UNITS && u + k < end; k++)
                finish(work, dotsAt + k * unit, (u + k) * unit, unit, work, axAt, y, rowFrom, rowTo);
        }
    }

    /** Per-thread scratch of {@link #matmul}: one matvec scratch layout per token. */
    private static final ThreadLocal<float[][]> TOKEN_SCRATCH = ThreadLocal.withInitial(() -> new float[0][]);

    /**
     * A batch of tokens (several sequences decoded together): each token's tables (or padded x),
     * {@code Σ x} and {@code A x} are made once, then every group of row units is run for each
     * token in turn while its codes are still in cache. Each token goes through exactly the
     * operations of {@link #matvec}, so it gets a lone token's bits.
     */
    @Override
    public void matmul(float[][] xs, float[][] ys, int n, int rowFrom, int rowTo) {
        if (n == 1) {
            matvec(xs[0], ys[0], rowFrom, rowTo);
            return;
        }
        if (rowFrom >= rowTo) return;
        boolean tables = TABLES;
        int unit = tables ? BLOCK : D.length(), inputs = tables ? tripleChunks * CHUNK_TABLES : chunks * CHUNK, size = inputs + rank + UNITS * unit;
        MemorySegment codes = tables ? triples : blocked();
        float[][] work = TOKEN_SCRATCH.get();
        if (work.length < n) TOKEN_SCRATCH.set(work = java.util.Arrays.copyOf(work, n));
        int sumAt = size; // Σ x after the matvec layout
        for (int t = 0; t < n; t++) {
            if (work[t] == null || work[t].length < size + 1) work[t] = new float[size + 1];
            float[] x = rotated(xs[t]), w = work[t];
            if (tables) tables(x, w);
            else w[sumAt] = padded(x, w);
            for (int j = 0; j < rank; j++)
                w[inputs + j] = plainFactors ? F16Matrix.dotPlain(a, 2L * j * cols, x, 0, cols) : F16Matrix.dot(a, 2L * j * cols, x, 0, cols);
        }
        int axAt = inputs, dotsAt = inputs + rank;
        int first = rowFrom / unit, end = (rowTo - 1) / unit + 1;
        for (int u = first; u < end; u += UNITS) {
            int u1 = Math.min(u + 1, end - 1), u2 = Math.min(u + 2, end - 1), u3 = Math.min(u + 3, end - 1);
            for (int t = 0; t < n; t++) {
                float[] w = work[t];
                if (tables) tableDots(codes, tripleChunks, u, u1, u2, u3, w, w, dotsAt);
                else decodeDots(codes, chunks, u, u1, u2, u3, w, w[sumAt], w, dotsAt);
                for (int k = 0; k < UNITS && u + k < end; k++)
                    finish(w, dotsAt + k * unit, (u + k) * unit, unit, w, axAt, ys[t], rowFrom, rowTo);
            }
        }
    }

    /** Table {@code p} (32 floats at {@code 32p}) for every column triple p; columns past the row count as zero. */
    void tables(float[] x, float[] out) {
        FloatVector w0 = FloatVector.fromArray(BLOCK_F, FIRST_WEIGHT, 0), w1 = FloatVector.fromArray(BLOCK_F, SECOND_WEIGHT, 0),
                w2 = FloatVector.fromArray(BLOCK_F, THIRD_WEIGHT, 0), v0 = FloatVector.fromArray(BLOCK_F, FIRST_WEIGHT, TABLE),
                v1 = FloatVector.fromArray(BLOCK_F, SECOND_WEIGHT, TABLE), v2 = FloatVector.fromArray(BLOCK_F, THIRD_WEIGHT, TABLE);
        for (int p = 0, triples = tripleChunks * TRIPLE_CHUNK / 3; p < triples; p++) {
            int c = 3 * p;
            float x0 = c < cols ? x[c] : 0, x1 = c + 1 < cols ? x[c + 1] : 0, x2 = c + 2 < cols ? x[c + 2] : 0;
            FloatVector b0 = FloatVector.broadcast(BLOCK_F, x0), b1 = FloatVector.broadcast(BLOCK_F, x1), b2 = FloatVector.broadcast(BLOCK_F, x2);
            w2.fma(b2, w1.fma(b1, w0.mul(b0))).intoArray(out, p * TRIPLE);
            v2.fma(b2, v1.fma(b1, v0.mul(b0))).intoArray(out, p * TRIPLE + TABLE);
        }
    }

    /** x padded with zeros to whole chunks into {@code out}; returns {@code Σ x}. */
    float padded(float[] x, float[] out) {
        System.arraycopy(x, 0, out, 0, cols);
        java.util.Arrays.fill(out, cols, chunks * CHUNK, 0);
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += x[c];
        return sum;
    }

    /**
     * {@code Σ t·x} of the blocks {@code b0..b3} (repeats allowed) into {@code dots[at, at + 64)},
     * codes in the {@link BlockedCodes#triples} layout. Field j of a block's chunk vector, shifted
     * down, indexes triple j's table in all 16 lanes at once (the two-register {@code selectFrom}
     * uses the low 5 bits); one table load serves the four blocks.
     */
    static void tableDots(MemorySegment codes, int chunks, int b0, int b1, int b2, int b3, float[] tables, float[] dots, int at) {
        FloatVector s0 = FloatVector.zero(BLOCK_F), s1 = s0, s2 = s0, s3 = s0;
        long o0 = (long) b0 * chunks * CHUNK_BYTES, o1 = (long) b1 * chunks * CHUNK_BYTES;
        long o2 = (long) b2 * chunks * CHUNK_BYTES, o3 = (long) b3 * chunks * CHUNK_BYTES;
        for (int q = 0; q < chunks; q++) {
            long o = (long) q * CHUNK_BYTES;
            IntVector c0 = IntVector.fromMemorySegment(BLOCK_I, codes, o0 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c1 = IntVector.fromMemorySegment(BLOCK_I, codes, o1 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c2 = IntVector.fromMemorySegment(BLOCK_I, codes, o2 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c3 = IntVector.fromMemorySegment(BLOCK_I, codes, o3 + o, ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < TRIPLE_CHUNK / 3; j++) {
                int t = q * CHUNK_TABLES + j * TRIPLE;
                IntVector lo = FloatVector.fromArray(BLOCK_F, tables, t).reinterpretAsInts();
                IntVector hi = FloatVector.fromArray(BLOCK_F, tables, t + TABLE).reinterpretAsInts();
                int shift = 5 * j;
                s0 = s0.add(c0.lanewise(VectorOperators.LSHR, shift).selectFrom(lo, hi).reinterpretAsFloats());
                s1 = s1.add(c1.lanewise(VectorOperators.LSHR, shift).selectFrom(lo, hi).reinterpretAsFloats());
                s2 = s2.add(c2.lanewise(VectorOperators.LSHR, shift).selectFrom(lo, hi).reinterpretAsFloats());
                s3 = s3.add(c3.lanewise(VectorOperators.LSHR, shift).selectFrom(lo, hi).reinterpretAsFloats());
            }
        }
        s0.intoArray(dots, at);
        s1.intoArray(dots, at + TABLE);
        s2.intoArray(dots, at + 2 * TABLE);
        s3.intoArray(dots, at + 3 * TABLE);
    }

    /**
     * {@code Σ t·x = Σ code·x − Σ x} of the row vectors {@code u0..u3} ({@code D.length()} rows
     * each, repeats allowed) into {@code dots[at, at + 4·D.length())}: each column's codes are
     * shifted down, masked and converted, and meet x broadcast in one multiply-add.
     */
    static void decodeDots(MemorySegment codes, int chunks, int u0, int u1, int u2, int u3, float[] xs, float sumX, float[] dots, int at) {
        int len = D.length();
        FloatVector s0 = FloatVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        long o0 = unitOffset(u0, chunks), o1 = unitOffset(u1, chunks), o2 = unitOffset(u2, chunks), o3 = unitOffset(u3, chunks);
        for (int q = 0; q < chunks; q++) {
            long o = (long) q * CHUNK_BYTES;
            IntVector c0 = IntVector.fromMemorySegment(DI, codes, o0 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c1 = IntVector.fromMemorySegment(DI, codes, o1 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c2 = IntVector.fromMemorySegment(DI, codes, o2 + o, ByteOrder.LITTLE_ENDIAN);
            IntVector c3 = IntVector.fromMemorySegment(DI, codes, o3 + o, ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < CHUNK; c++) {
                FloatVector x = FloatVector.broadcast(D, xs[q * CHUNK + c]);
                int shift = 2 * c;
                s0 = ((FloatVector) c0.lanewise(VectorOperators.LSHR, shift).and(3).convert(VectorOperators.I2F, 0)).fma(x, s0);
                s1 = ((FloatVector) c1.lanewise(VectorOperators.LSHR, shift).and(3).convert(VectorOperators.I2F, 0)).fma(x, s1);
                s2 = ((FloatVector) c2.lanewise(VectorOperators.LSHR, shift).and(3).convert(VectorOperators.I2F, 0)).fma(x, s2);
                s3 = ((FloatVector) c3.lanewise(VectorOperators.LSHR, shift).and(3).convert(VectorOperators.I2F, 0)).fma(x, s3);
            }
        }
        s0.sub(sumX).intoArray(dots, at);
        s1.sub(sumX).intoArray(dots, at + len);
        s2.sub(sumX).intoArray(dots, at + 2 * len);
        s3.sub(sumX).intoArray(dots, at + 3 * len);
    }

    /** Byte offset of row vector u (of {@code D.length()} rows) in the blocked codes' chunk 0. */
    private static long unitOffset(int u, int chunks) {
        int row = u * D.length();
        return (long) (row / BLOCK) * chunks * CHUNK_BYTES + 4L * (row % BLOCK);
    }

    /**
     * {@code y[r] = s[r]·dots[at + r − row0] + (B A x)[r]} for the {@code n} rows from {@code row0}
     * that lie in {@code [from, to)} ({@code A x} at {@code ax[axAt..]}), {@code D.length()} rows at a time.
     */
    void finish(float[] dots, int at, int row0, int n, float[] ax, int axAt, float[] y, int from, int to) {
        for (int i = 0, len = D.length(); i < n; i += len) {
            int r = row0 + i, bAt = (r / BLOCK) * rank * BLOCK + r % BLOCK;
            FloatVector lowRank = FloatVector.zero(D);
            for (int k = 0; k < rank; k++)
                lowRank = FloatVector.fromArray(D, bBlocks, bAt + k * BLOCK).fma(FloatVector.broadcast(D, ax[axAt + k]), lowRank);
            FloatVector v = FloatVector.fromArray(D, scales, r).fma(FloatVector.fromArray(D, dots, at + i), lowRank);
            if (r >= from && r + len <= to) v.intoArray(y, r);
            else v.intoArray(y, r, D.indexInRange(r - from, to - from));
        }
    }

    /** {@code R·x} in a per-thread buffer for a rotated layer, else x itself. */
    float[] rotated(float[] x) {
        if (rotation == null) return x;
        float[] r = ROTATED.get();
        if (r.length < cols) ROTATED.set(r = new float[cols]);
        System.arraycopy(x, 0, r, 0, cols);
        rotation.rotate(r, 0, signs);
        return r;
    }

    /** This thread's scratch buffer, at least {@code n} floats. */
    static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) SCRATCH.set(s = new float[n]);
        return s;
    }

    /** The 2-bit code (t + 1) of weight {@code c} of the row at {@code rowOff}. */
    private int code(long rowOff, int c) {
        if (base3) return ai.lort.pack.TritPacker.code(codes.get(ValueLayout.JAVA_BYTE, rowOff + c / 5), c % 5);
        return (codes.get(ValueLayout.JAVA_BYTE, rowOff + TernaryPacker.byteIndex(c)) >> TernaryPacker.shift(c)) & 3;
    }

    /** Plain reference for {@link #matvec}, straight from the definition. */
    public void scalarMatvec(float[] x, float[] y, int rowFrom, int rowTo) {
        if (rotation != null) {
            x = java.util.Arrays.copyOf(x, cols);
            rotation.rotate(x, 0, signs);
        }
        float[] ax = new float[rank];
        for (int j = 0; j < rank; j++)
            for (int c = 0; c < cols; c++) ax[j] += Float.float16ToFloat(a.getAtIndex(SHORT_LE, (long) j * cols + c)) * x[c];
        for (int r = rowFrom; r < rowTo; r++) {
            float t = 0;
            for (int c = 0; c < cols; c++) t += (code((long) r * rowBytes, c) - 1) * x[c];
            float lowRank = 0;
            for (int j = 0; j < rank; j++) lowRank += Float.float16ToFloat(b.getAtIndex(SHORT_LE, (long) r * rank + j)) * ax[j];
            y[r] = scales[r] * t + lowRank;
        }
    }
}
