package ai.lort.pack;

import java.util.SplittableRandom;

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
        for (int j = 0; j < cols; j++) x[off + j] *= signs[j];
        transform(x, off);
    }

    /** {@code x[off, off + cols) ← Rᵀ·x} (H is symmetric: transform first, then the signs). */
    public void rotateBack(float[] x, int off, float[] signs) {
        transform(x, off);
        for (int j = 0; j < cols; j++) x[off + j] *= signs[j];
    }

    /** The signs once, for repeated {@link #rotate} calls. */
    public float[] signVector() { return signs(); }

    private void transform(float[] x, int off) {
        float norm = (float) (1 / Math.sqrt(block));
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

    /**
     * {@code M ← R·M·Rᵀ} of a row-major cols × cols matrix (a Hessian in the rotated basis): the
     * rows are rotated, {@code M·Rᵀ}, then the rows of its transpose, {@code R·Mᵀ·Rᵀ}, which is
     * transposed back; every transform runs along contiguous rows.
     */
    public void conjugate(float[] m) {
        float[] s = signs();
        for (int i = 0; i < cols; i++) rotate(m, i * cols, s);
        transpose(m);
        for (int i = 0; i < cols; i++) rotate(m, i * cols, s);
        transpose(m);
    }

    private void transpose(float[] m) {
        for (int i = 0; i < cols; i++)
            for (int j = i + 1; j < cols; j++) {
                float v = m[i * cols + j];
                m[i * cols + j] = m[j * cols + i];
                m[j * cols + i] = v;
            }
    }
}
