package ai.lort.kernel;

import java.lang.foreign.MemorySegment;

/**
 * {@link TernaryLowRankMatrix#matvec} cut into its steps, each timed on the calling thread (the
 * decode profile of bench/decode.sh): the input rotation, the ternary term's per-call inputs (the
 * column-triple tables, or x padded and summed), the ternary dot products of the rows, the
 * low-rank input {@code A x}, and the rows' finish ({@code s ∘ (T x) + B (A x)}: the low-rank
 * output). The steps run in matvec's order with matvec's code, so their sum is one matvec of the
 * same row range (what one thread does in a decode step's product; the tables, {@code A x} and the
 * rotation are made by each thread for its own range).
 */
public final class TernaryPhases {
    public static final String[] NAMES = {"rotation", "ternary: tables / padded x", "ternary: code dot products", "low-rank: A·x", "low-rank: scale + B·(A·x)"};

    private TernaryPhases() {}

    /** Whether {@code m} is a compressed layer's kernel (the only kind this times). */
    public static boolean applies(Matrix m) { return m instanceof TernaryLowRankMatrix; }

    /**
     * Adds to {@code nanos[i]} the time of step {@link #NAMES}[i] of one {@code m.matvec(x, y, rowFrom, rowTo)}
     * (no untimed run first: a caller that runs every layer in turn reads the codes from memory, as a step does).
     */
    public static void time(Matrix matrix, float[] x, float[] y, int rowFrom, int rowTo, long[] nanos) {
        TernaryLowRankMatrix m = (TernaryLowRankMatrix) matrix;
        boolean tables = TernaryLowRankMatrix.TABLES;
        int unit = tables ? BlockedCodes.BLOCK : TernaryLowRankMatrix.D.length(), units = TernaryLowRankMatrix.UNITS;
        int inputs = tables ? m.tripleChunks * TernaryLowRankMatrix.CHUNK_TABLES : m.chunks * BlockedCodes.CHUNK;
        MemorySegment codes = tables ? m.triples : m.blocked();
        long t0 = System.nanoTime();
        float[] xr = m.rotated(x);
        long t1 = System.nanoTime();
        float[] work = TernaryLowRankMatrix.scratch(inputs + m.rank + units * unit);
        int axAt = inputs, dotsAt = inputs + m.rank;
        float sumX = tables ? 0 : m.padded(xr, work);
        if (tables) m.tables(xr, work);
        long t2 = System.nanoTime();
        for (int j = 0; j < m.rank; j++)
            work[axAt + j] = m.plainFactors ? F16Matrix.dotPlain(m.a, 2L * j * m.cols, xr, 0, m.cols) : F16Matrix.dot(m.a, 2L * j * m.cols, xr, 0, m.cols);
        long t3 = System.nanoTime();
        int first = rowFrom / unit, end = (rowTo - 1) / unit + 1;
        long dots = 0, finish = 0;
        for (int u = first; u < end; u += units) {
            int u1 = Math.min(u + 1, end - 1), u2 = Math.min(u + 2, end - 1), u3 = Math.min(u + 3, end - 1);
            long d0 = System.nanoTime();
            if (tables) TernaryLowRankMatrix.tableDots(codes, m.tripleChunks, u, u1, u2, u3, work, work, dotsAt);
            else TernaryLowRankMatrix.decodeDots(codes, m.chunks, u, u1, u2, u3, work, sumX, work, dotsAt);
            long d1 = System.nanoTime();
            for (int k = 0; k < units && u + k < end; k++)
                m.finish(work, dotsAt + k * unit, (u + k) * unit, unit, work, axAt, y, rowFrom, rowTo);
            finish += System.nanoTime() - d1;
            dots += d1 - d0;
        }
        long[] t = {t1 - t0, t2 - t1, dots, t3 - t2, finish};
        for (int i = 0; i < t.length; i++) nanos[i] += t[i];
    }
}
