package ai.lort.kernel;

/**
 * A weight matrix W of shape rows × cols (out × in, as {@code torch.nn.Linear} stores it) that
 * multiplies activations. One implementation per weight format (F32, F16, BF16, packed ternary +
 * low rank, ...), each owning its Vector API kernel with a scalar reference beside it.
 *
 * <p>Callers split rows across threads; implementations must be safe to call concurrently on
 * disjoint row ranges and must not allocate in {@link #matvec}. Give each thread one large range:
 * a call may pay a per-call setup of about cols × (8 + rank) ({@link TernaryLowRankMatrix}).
 * Call {@link Matrices#warmUp()} once at start-up, or the first matvecs run interpreted.
 */
public interface Matrix {
    int rows();

    int cols();

    /** {@code y[r] = Σ_c W[r][c] · x[c]} for {@code r} in {@code [rowFrom, rowTo)}. */
    void matvec(float[] x, float[] y, int rowFrom, int rowTo);

    /** Bytes of weights read by one full matvec (for bandwidth reports). */
    long weightBytes();
}
