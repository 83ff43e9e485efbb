package ai.lort.pack;

import ai.lort.util.Parallel;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The seeded randomized Hadamard rotation of a layer's input dimension ({@code rotation:
 * "hadamard"} in docs/FORMAT.md): {@code R = H·D}, where D flips the sign of input j when the j-th
 * {@code nextBoolean()} of {@code SplittableRandom(seed)} is true, and H is the normalized
 * Walsh-Hadamard matrix (Sylvester order, scaled by {@code 1/√block}) applied to each consecutive
 * block of {@code block} inputs; block is the largest power of two dividing the width (the whole
 * width when it is a power of two). R is orthogonal, so a layer stored in the rotated basis,
 * {@code Ŵ ≈ W·Rᵀ}, gives {@code W·x ≈ Ŵ·(R·x)}.
 *
 * <p>Why: rotation spreads outlier input channels over their block, so that the rows to be
 * ternarized look Gaussian-like, with fewer entries far from the three levels. Cost at run time:
 * one O(n log n) transform of x per call.
 */
public record Hadamard(int cols, long seed, int block) {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    /** For the in-vector stages (len = 1, 2, ..., VL/2): lane i ↔ lane i ^ len ... */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAPS = new VectorShuffle[Integer.numberOfTrailingZeros(VL)];
    /** ... and +1 on a pair's lower lane, −1 on its upper one, VL floats per stage. */
    private static final float[] LOWER_PLUS = new float[SWAPS.length * VL];
    /** Rows claimed at a time by a thread of {@link #rotateRows}. */
    private static final int ROWS_PER_CLAIM = 16;
    /** Columns per work item of {@link #conjugate}'s column pass (a 256-row block of them is 256 KB). */
    private static final int STRIP = 256;

    static {
        for (int stage = 0; stage < SWAPS.length; stage++) {
            int len = 1 << stage;
            SWAPS[stage] = VectorShuffle.fromOp(F, i -> i ^ len);
            for (int i = 0; i < VL; i++) LOWER_PLUS[stage * VL + i] = (i & len) == 0 ? 1f : -1f;
        }
    }

    public Hadamard {
        if (block < 1 || Integer.bitCount(block) != 1 || cols % block != 0)
            throw new IllegalArgumentException("Hadamard block " + block + " must be a power of two dividing " + cols);
    }

    /** The rotation of a {@code cols}-wide input with the default block. */
    public static Hadamard of(int cols, long seed) {
        return new Hadamard(cols, seed, Integer.lowestOneBit(cols));
    }

    /** Sign of input j (+1 or −1), in order. */
    private float[] signs() {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] s = new float[cols];
        for (int j = 0; j < cols; j++) s[j] = rnd.nextBoolean() ? -1f : 1f;
        return s;
    }

    /** {@code x[off, off + cols) ← R·x}. */
    public void rotate(float[] x, int off, float[] signs) {
        multiply(x, off, signs);
        transform(x, off);
    }

    /** {@code x[off, off + cols) ← Rᵀ·x} (H is symmetric: transform first, then the signs). */
    public void rotateBack(float[] x, int off, float[] signs) {
        transform(x, off);
        multiply(x, off, signs);
    }

    /** {@link #rotate} of each of the {@code rows} consecutive rows of x, on up to {@code threads} threads. */
    public void rotateRows(float[] x, int rows, int threads) {
        rotateRows(x, rows, signs(), threads);
    }

    private void rotateRows(float[] x, int rows, float[] signs, int threads) {
        Parallel.forEach(rows, ROWS_PER_CLAIM, threads, i -> rotate(x, i * cols, signs));
    }

    /** The signs once, for repeated {@link #rotate} calls. */
    public float[] signVector() { return signs(); }

    private void multiply(float[] x, int off, float[] signs) {
        int j = 0;
        for (int whole = cols / VL * VL; j < whole; j += VL)
            FloatVector.fromArray(F, x, off + j).mul(FloatVector.fromArray(F, signs, j)).intoArray(x, off + j);
        for (; j < cols; j++) x[off + j] *= signs[j];
    }

    /**
     * The block-wise normalized Walsh-Hadamard transform of {@code x[off, off + cols)}: for len =
     * 1, 2, 4, ... below the block, every pair (j, j + len) of a block becomes
     * {@code (x_j + x_{j+len}, x_j − x_{j+len})}; then every element is multiplied by 1/√block.
     * Vectorized: the pairs closer than a vector are lanes of one vector, swapped by a lane
     * shuffle, the lower lane adding and the upper subtracting ({@code x·(±1) + swapped}, exact
     * as the scalar sum or difference); the farther pairs are two vectors. Each element goes
     * through the same operations in the same order as in {@link #transformScalar}, so the bits
     * are the same.
     */
    private void transform(float[] x, int off) {
        if (block < VL) {
            transformScalar(x, off);
            return;
        }
        int end = off + cols;
        for (int stage = 0, len = 1; len < VL; stage++, len <<= 1) {
            VectorShuffle<Float> swap = SWAPS[stage];
            FloatVector lowerPlus = FloatVector.fromArray(F, LOWER_PLUS, stage * VL);
            for (int j = off; j < end; j += VL) {
                FloatVector v = FloatVector.fromArray(F, x, j);
                v.fma(lowerPlus, v.rearrange(swap)).intoArray(x, j);
            }
        }
        for (int len = VL; len < block; len <<= 1)
            for (int i = off; i < end; i += len << 1)
                for (int j = i; j < i + len; j += VL) {
                    FloatVector u = FloatVector.fromArray(F, x, j), v = FloatVector.fromArray(F, x, j + len);
                    u.add(v).intoArray(x, j);
                    u.sub(v).intoArray(x, j + len);
                }
        float norm = norm();
        for (int j = off; j < end; j += VL) FloatVector.fromArray(F, x, j).mul(norm).intoArray(x, j);
    }

    /** The transform one pair at a time: the definition, and blocks narrower than a vector. */
    void transformScalar(float[] x, int off) {
        float norm = norm();
        for (int b = off; b < off + cols; b += block) {
            for (int len = 1; len < block; len <<= 1)
                for (int i = b; i < b + block; i += len << 1)
                    for (int j = i; j < i + len; j++) {
                        float u = x[j], v = x[j + len];
                        x[j] = u + v;
                        x[j + len] = u - v;
                    }
            for (int j = b; j < b + block; j++) x[j] *= norm;
        }
    }

    private float norm() { return (float) (1 / Math.sqrt(block)); }

    /**
     * {@code M ← R·M·Rᵀ} of a row-major cols × cols matrix (a Hessian in the rotated basis): the
     * rows are rotated, {@code M·Rᵀ}, then the columns, {@code R·(M·Rᵀ)}: the same butterflies
     * with whole rows as the pairs' elements, a strip of columns at a time (the strip's rows
     * of a block stay in L2). On up to {@code threads} threads.
     */
    public void conjugate(float[] m, int threads) {
        float[] s = signs();
        rotateRows(m, cols, s, threads);
        int strips = (cols + STRIP - 1) / STRIP;
        Parallel.forEach(strips, 1, threads, t -> rotateColumns(m, t * STRIP, Math.min(cols, t * STRIP + STRIP), s));
    }

    /** {@link #conjugate} on the calling thread. */
    public void conjugate(float[] m) { conjugate(m, 1); }

    /** Columns {@code [c0, c1)} of the row-major cols × cols m ← R times them. */
    private void rotateColumns(float[] m, int c0, int c1, float[] s) {
        int whole = c0 + (c1 - c0) / VL * VL;
        for (int i = 0; i < cols; i++) {
            int o = i * cols;
            FloatVector si = FloatVector.broadcast(F, s[i]);
            int c = c0;
            for (; c < whole; c += VL) FloatVector.fromArray(F, m, o + c).mul(si).intoArray(m, o + c);
            for (; c < c1; c++) m[o + c] *= s[i];
        }
        for (int b = 0; b < cols; b += block)
            for (int len = 1; len < block; len <<= 1)
                for (int i = b; i < b + block; i += len << 1)
                    for (int j = i; j < i + len; j++) {
                        int u = j * cols, v = (j + len) * cols, c = c0;
                        for (; c < whole; c += VL) {
                            FloatVector x = FloatVector.fromArray(F, m, u + c), y = FloatVector.fromArray(F, m, v + c);
                            x.add(y).intoArray(m, u + c);
                            x.sub(y).intoArray(m, v + c);
                        }
                        for (; c < c1; c++) {
                            float x = m[u + c], y = m[v + c];
                            m[u + c] = x + y;
                            m[v + c] = x - y;
                        }
                    }
        float norm = norm();
        for (int i = 0; i < cols; i++) {
            int o = i * cols, c = c0;
            for (; c < whole; c += VL) FloatVector.fromArray(F, m, o + c).mul(norm).intoArray(m, o + c);
            for (; c < c1; c++) m[o + c] *= norm;
        }
    }
}
