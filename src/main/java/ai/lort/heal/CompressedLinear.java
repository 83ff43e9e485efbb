package ai.lort.heal;

import ai.lort.format.CompressedLayer;
import ai.lort.kernel.Gemm;
import ai.lort.pack.Hadamard;
import ai.lort.util.Parallel;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A compressed projection {@code W ≈ (diag(s)·T + B·A)·R} run on token rows:
 * <pre>
 *   z = R·x          (per row; z = x without rotation)
 *   u = z·Tᵀ         [tokens × rows]
 *   v = z·Aᵀ         [tokens × rank]
 *   y = s ∘ u + v·Bᵀ (+ bias)
 * </pre>
 * T {@code [rows × cols]} holds the ternary codes as bytes −1/0/+1 (widened as the products pack them), R the layer's Hadamard
 * rotation of the input (or none); s {@code [rows]}, A {@code [rank × cols]}, B
 * {@code [rows × rank]} and the bias {@code [rows]} are the {@link Params} that train.
 */
public final class CompressedLinear {
    private static final ValueLayout.OfShort HALF_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ROWS_PER_ITEM = 16;
    private static final int COLUMNS_PER_ITEM = 256;

    private final int rows, cols, rank;
    private final byte[] codes;
    private final Hadamard rotation;
    private final float[] signs;

    /**
     * The trainable values of one layer, or their gradients (the same shapes).
     *
     * @param scales s, {@code [rows]}
     * @param a      {@code [rank × cols]}
     * @param b      {@code [rows × rank]}
     * @param bias   {@code [rows]}, or null when the layer has none (or it is frozen, in a gradient)
     */
    public record Params(float[] scales, float[] a, float[] b, float[] bias) {
        /** Zeros of the same shapes: a gradient. */
        public Params zerosLike() {
            return new Params(new float[scales.length], new float[a.length], new float[b.length], bias == null ? null : new float[bias.length]);
        }
    }

    /**
     * What a forward saves for its backward (see {@link #activations}): z {@code [tokens × cols]},
     * u {@code [tokens × rows]}, v {@code [tokens × rank]}.
     */
    public record Activations(float[] z, float[] u, float[] v) {}

    /**
     * @param codes    ternary values −1/0/+1, {@code [rows × cols]} row-major
     * @param rotation the rotation of the input the codes were fitted in, or null
     */
    public CompressedLinear(int rows, int cols, int rank, byte[] codes, Hadamard rotation) {
        if (codes.length != rows * cols) throw new IllegalArgumentException(codes.length + " codes for " + rows + " × " + cols);
        if (rotation != null && rotation.cols() != cols) throw new IllegalArgumentException("rotation of " + rotation.cols() + " inputs, layer of " + cols);
        this.rows = rows;
        this.cols = cols;
        this.rank = rank;
        this.codes = codes;
        this.rotation = rotation;
        this.signs = rotation == null ? null : rotation.signVector();
    }

    /** The codes part of a stored layer, unpacked to a byte per code, and its rotation. */
    public static CompressedLinear of(CompressedLayer layer) {
        int m = layer.rows(), n = layer.cols();
        byte[] codes = new byte[m * n];
        byte[] packed = new byte[layer.packing().rowBytes(n)], row = new byte[n];
        for (int i = 0; i < m; i++) {
            layer.ternaryRow(i, packed, row);
            System.arraycopy(row, 0, codes, i * n, n);
        }
        return new CompressedLinear(m, n, layer.rank(), codes, layer.rotation());
    }

    /** A stored layer's s, A and B widened to float (the starting point of healing), with the given bias (may be null). */
    public static Params params(CompressedLayer layer, float[] bias) {
        float[] s = new float[layer.rows()];
        for (int i = 0; i < s.length; i++) s[i] = layer.scale(i);
        float[] a = new float[layer.rank() * layer.cols()], b = new float[layer.rows() * layer.rank()];
        for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(layer.a().getAtIndex(HALF_LE, i));
        for (int i = 0; i < b.length; i++) b[i] = Float.float16ToFloat(layer.b().getAtIndex(HALF_LE, i));
        return new Params(s, a, b, bias);
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    public int rank() { return rank; }

    /** The codes −1/0/+1, {@code [rows × cols]}: healing may move them (the products read this array). */
    byte[] codes() { return codes; }

    /** Saved activations for up to {@code tokens} tokens. */
    public Activations activations(int tokens) {
        return activations(tokens, rows, cols, rank);
    }

    /** Activations of {@code tokens} tokens for any rows × cols layer of rank at most {@code rank}. */
    public static Activations activations(int tokens, int rows, int cols, int rank) {
        return new Activations(new float[tokens * cols], new float[tokens * rows], new float[tokens * rank]);
    }

    /** Floats of the scratch {@link #backward} needs for {@code tokens} tokens. */
    public int scratchFloats(int tokens) {
        return tokens * (rows + rank + (rotation == null ? 0 : cols));
    }

    /** {@code y = s ∘ (z·Tᵀ) + (z·Aᵀ)·Bᵀ + bias} with {@code z = R·x} per row, saving z, u and v. */
    public void forward(float[] y, Activations saved, float[] x, Params p, int tokens, int threads) {
        float[] z = saved.z(), u = saved.u(), v = saved.v(), s = p.scales();
        System.arraycopy(x, 0, z, 0, tokens * cols);
        if (rotation != null) Parallel.forEach(tokens, ROWS_PER_ITEM, threads, t -> rotation.rotate(z, t * cols, signs));
        Gemm.gemm(false, true, tokens, rows, cols, 1f, z, 0, cols, codes, 0, cols, 0f, u, 0, rows, threads);
        float[] bias = p.bias();
        Parallel.forRanges(tokens, ROWS_PER_ITEM, threads, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int i = 0, o = t * rows; i < rows; i++) y[o + i] = s[i] * u[o + i] + (bias == null ? 0f : bias[i]);
        });
        if (rank == 0) return;
        Gemm.gemm(false, true, tokens, rank, cols, 1f, z, 0, cols, p.a(), 0, cols, 0f, v, 0, rank, threads);
        Gemm.gemm(false, true, tokens, rows, rank, 1f, v, 0, rank, p.b(), 0, rank, 1f, y, 0, rows, threads);
    }

    /**
     * With {@code g = dy·B} ({@code [tokens × rank]}):
     * <pre>
     *   ds    += Σ_t dy[t] ∘ u[t]
     *   dB    += dyᵀ·v
     *   dA    += gᵀ·z
     *   dbias += Σ_t dy[t]
     *   dz     = (s ∘ dy)·T + g·A
     *   dx    += Rᵀ·dz            (per row)
     *   dW    += dyᵀ·z            (only when dWeight is not null)
     * </pre>
     * dW is the gradient with respect to the dense weight {@code diag(s)·T} in the rotated basis
     * ({@code [rows × cols]}); the codes' own gradient is {@code s_i·dW_ij}. {@code grads.bias()}
     * is null when the bias does not train; {@code scratch} holds at least
     * {@link #scratchFloats}{@code (tokens)} floats.
     */
    public void backward(float[] dx, Params grads, float[] dWeight, float[] dy, Activations saved, Params p,
                         float[] scratch, int tokens, int threads) {
        float[] z = saved.z(), u = saved.u(), v = saved.v(), s = p.scales();
        float[] ds = grads.scales(), dbias = grads.bias();
        Parallel.forRanges(rows, COLUMNS_PER_ITEM, threads, (from, to) -> {
            for (int t = 0; t < tokens; t++)
                for (int i = from, o = t * rows; i < to; i++) ds[i] += dy[o + i] * u[o + i];
        });
        if (dbias != null) DenseLinear.sumRows(dbias, dy, tokens, rows);

        // Scratch: s ∘ dy [tokens × rows], then g [tokens × rank], then dz [tokens × cols] when rotated.
        int gAt = tokens * rows, dzAt = gAt + tokens * rank;
        if (rank > 0) {
            Gemm.gemm(true, false, rows, rank, tokens, 1f, dy, 0, rows, v, 0, rank, 1f, grads.b(), 0, rank, threads);
            Gemm.gemm(false, false, tokens, rank, rows, 1f, dy, 0, rows, p.b(), 0, rank, 0f, scratch, gAt, rank, threads);
            Gemm.gemm(true, false, rank, cols, tokens, 1f, scratch, gAt, rank, z, 0, cols, 1f, grads.a(), 0, cols, threads);
        }
        Parallel.forRanges(tokens, ROWS_PER_ITEM, threads, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int i = 0, o = t * rows; i < rows; i++) scratch[o + i] = s[i] * dy[o + i];
        });
        // dz straight into dx without rotation; with it, into scratch, rotated back, then added.
        float[] dz = rotation == null ? dx : scratch;
        int dzOff = rotation == null ? 0 : dzAt;
        float beta = rotation == null ? 1f : 0f;
        Gemm.gemm(false, false, tokens, cols, rows, 1f, scratch, 0, rows, codes, 0, cols, beta, dz, dzOff, cols, threads);
        if (rank > 0) Gemm.gemm(false, false, tokens, cols, rank, 1f, scratch, gAt, rank, p.a(), 0, cols, 1f, dz, dzOff, cols, threads);
        if (rotation != null) {
            Parallel.forRanges(tokens, ROWS_PER_ITEM, threads, (from, to) -> {
                for (int t = from; t < to; t++) {
                    int o = dzAt + t * cols;
                    rotation.rotateBack(scratch, o, signs);
                    for (int j = 0; j < cols; j++) dx[t * cols + j] += scratch[o + j];
                }
            });
        }
        if (dWeight != null) Gemm.gemm(true, false, rows, cols, tokens, 1f, dy, 0, rows, z, 0, cols, 1f, dWeight, 0, cols, threads);
    }
}
